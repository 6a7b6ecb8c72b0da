import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { TranscodeRequest } from '../../../lambda/core/ports';
import { planTranscode } from '../../../lambda/core/rendition-ladder';
import type { SourceInfo } from '../../../lambda/core/source-info';
import { clientTokenFor } from '../../../lambda/core/transcoding';
import { mediaPrefix, sourceKey } from '../../../lambda/core/upload-plan';
import type { MediaConvertJobStateEvent } from '../../../lambda/transcode/job-state-event';
import { type ClipOptions, makeClip } from '../../../local/harness/clips';
import { type LocalServers, startLocalServers } from '../../../local/harness/local-servers';
import { FfmpegTranscoder } from '../../../local/transcoder/ffmpeg-transcoder';
import { scratchDirectories } from '../../support/scratch';
import { TRANSCODER_PROCESS_ENV, type TranscoderProcessSettings } from '../../support/transcoder-process';

/**
 * The transcoder finishes what it accepted, as MediaConvert does: a job cut short by a stop (or
 * by the twin being killed) runs again at the next start under its own job id, and a terminal's
 * Ctrl-C cannot reach ffmpeg. Processes are found through /proc (Linux), by their working
 * directory under the test's own work directory.
 */

let servers: LocalServers;
const scratch = scratchDirectories();
const started: ChildProcess[] = [];

beforeAll(async () => {
  servers = await startLocalServers();
});
afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await servers.stop();
  scratch.removeAll();
});

const newDirectory = scratch.make;

/** A transcoder on the test servers with a journal, and the events and errors it reports. */
function newTranscoder(directories: { journalDirectory: string; workDirectory: string }) {
  const events: MediaConvertJobStateEvent[] = [];
  const errors: unknown[] = [];
  const transcoder = new FfmpegTranscoder({
    s3: servers.s3,
    uploadBucket: servers.uploadBucket,
    mediaBucket: servers.mediaBucket,
    ...directories,
    onJobEvent: async (event) => {
      events.push(event);
    },
    onError: (error) => errors.push(error),
  });
  return { transcoder, events, errors };
}

let videoNumber = 0;

/** Uploads a clip as a new video's source and builds its request as the upload consumer does. */
async function clipUpload(clip: ClipOptions): Promise<TranscodeRequest> {
  const videoId = `restart-${++videoNumber}-${randomBytes(3).toString('hex')}`;
  const uploadId = `upload-${videoNumber}`;
  const info: SourceInfo = {
    width: clip.width,
    height: clip.height,
    durationSeconds: clip.seconds ?? 1,
    hasAudio: clip.audio ?? true,
  };
  const body = await makeClip(clip);
  await servers.s3.send(new PutObjectCommand({ Bucket: servers.uploadBucket, Key: sourceKey(videoId), Body: body }));
  return {
    videoId,
    uploadId,
    sourceKey: sourceKey(videoId),
    plan: planTranscode(videoId, info),
    clientToken: clientTokenFor(videoId, uploadId),
  };
}

/** Long enough (several rungs, 4 s) to be still encoding when the test stops it. */
const SLOW_CLIP: ClipOptions = { width: 1280, height: 720, seconds: 4, audio: false };
const QUICK_CLIP: ClipOptions = { width: 320, height: 180, seconds: 1, audio: false };

async function keysUnder(videoId: string): Promise<string[]> {
  const listing = await servers.s3.send(
    new ListObjectsV2Command({ Bucket: servers.mediaBucket, Prefix: mediaPrefix(videoId) }),
  );
  return (listing.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
}

interface ProcessInfo {
  readonly pid: number;
  readonly command: string;
  /** R, S, D…; Z for a zombie, which has ended. */
  readonly state: string;
  readonly pgid: number;
  readonly sid: number;
  /** The controlling terminal; 0 for none. */
  readonly ttyNr: number;
}

/** A process's line in /proc/<pid>/stat; undefined once it is gone. */
function processInfo(pid: number | 'self'): ProcessInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp session tty_nr …"; comm may hold spaces and parentheses.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const [state = '', , pgid = '', sid = '', ttyNr = ''] = stat
    .slice(close + 2)
    .split(' ')
    .slice(0, 5);
  return {
    pid: Number(stat.slice(0, open).trim()),
    command: stat.slice(open + 1, close),
    state,
    pgid: Number(pgid),
    sid: Number(sid),
    ttyNr: Number(ttyNr),
  };
}

const isRunning = (pid: number) => {
  const info = processInfo(pid);
  return info !== undefined && info.state !== 'Z';
};

/** Live processes of this user whose working directory is under `directory`. */
function processesUnder(directory: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${name}/cwd`);
    } catch {
      continue;
    }
    if (cwd !== directory && !cwd.startsWith(`${directory}${sep}`)) continue;
    const info = processInfo(Number(name));
    if (info !== undefined && info.state !== 'Z') found.push(info);
  }
  return found;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
}

/** The ffmpeg encoding in `workDirectory`, once it runs. */
const runningFfmpeg = (workDirectory: string) =>
  waitFor('ffmpeg to run', () => processesUnder(workDirectory).find((info) => info.command === 'ffmpeg'));

const journalOf = (journalDirectory: string) => readdirSync(journalDirectory).sort();

describe('the transcoder across a stop', () => {
  it('runs a job a close cut short mid-encode again after the next start, under its own job id, once', async () => {
    // Prepare: a job encoding when the transcoder closes.
    const directories = { journalDirectory: newDirectory('jobs'), workDirectory: newDirectory('work') };
    const request = await clipUpload(SLOW_CLIP);
    const before = newTranscoder(directories);
    const { jobId } = await before.transcoder.submit(request);
    expect(journalOf(directories.journalDirectory)).toEqual([`${jobId}.json`]);
    await runningFfmpeg(directories.workDirectory);
    await before.transcoder.close();
    expect(before.events).toEqual([]);
    expect(journalOf(directories.journalDirectory)).toEqual([`${jobId}.json`]);
    expect(readdirSync(directories.workDirectory)).toEqual([]);

    // Act: the next start.
    const after = newTranscoder(directories);
    const resumed = await after.transcoder.resume();
    await after.transcoder.idle();

    // Assess
    expect(resumed).toEqual([{ jobId, videoId: request.videoId }]);
    expect(after.events.map((event) => [event.detail.jobId, event.detail.status])).toEqual([[jobId, 'COMPLETE']]);
    expect(after.events[0]?.detail.userMetadata).toEqual({ videoId: request.videoId, uploadId: request.uploadId });
    expect(await keysUnder(request.videoId)).toContain(request.plan.hls.masterKey);
    expect(journalOf(directories.journalDirectory)).toEqual([]);
    expect(readdirSync(directories.workDirectory)).toEqual([]);
    expect([...before.errors, ...after.errors]).toEqual([]);
  });

  it('keeps queued jobs too, runs them again in the order they were accepted, and keeps their client tokens', async () => {
    // Prepare: one job encoding and two waiting when the transcoder closes.
    const directories = { journalDirectory: newDirectory('jobs'), workDirectory: newDirectory('work') };
    const requests = [await clipUpload(SLOW_CLIP), await clipUpload(QUICK_CLIP), await clipUpload(QUICK_CLIP)];
    const before = newTranscoder(directories);
    const jobIds: string[] = [];
    for (const request of requests) jobIds.push((await before.transcoder.submit(request)).jobId);
    await runningFfmpeg(directories.workDirectory);
    await before.transcoder.close();

    // Act: the next start, where the second upload's notification comes again.
    const after = newTranscoder(directories);
    const resumed = await after.transcoder.resume();
    const repeated = await after.transcoder.submit(requests[1] as TranscodeRequest);
    await after.transcoder.idle();

    // Assess
    expect(before.events).toEqual([]);
    expect(resumed.map((job) => job.jobId)).toEqual(jobIds);
    expect(resumed.map((job) => job.videoId)).toEqual(requests.map((request) => request.videoId));
    expect(repeated.jobId).toBe(jobIds[1]);
    expect(after.events.map((event) => [event.detail.jobId, event.detail.status])).toEqual(
      jobIds.map((jobId) => [jobId, 'COMPLETE']),
    );
    expect(journalOf(directories.journalDirectory)).toEqual([]);
    expect([...before.errors, ...after.errors]).toEqual([]);
  });

  it('runs ffmpeg in a process group and session of its own, out of reach of a terminal’s Ctrl-C, and stops it on close', async () => {
    // Prepare
    const directories = { journalDirectory: newDirectory('jobs'), workDirectory: newDirectory('work') };
    const { transcoder } = newTranscoder(directories);
    await transcoder.submit(await clipUpload(SLOW_CLIP));

    // Act
    const ffmpeg = await runningFfmpeg(directories.workDirectory);
    const ours = processInfo('self') as ProcessInfo;
    const all = processesUnder(directories.workDirectory);
    const group = all.filter((info) => info.pgid === ffmpeg.pgid);
    await transcoder.close();

    // Assess: a group and session led by ffmpeg itself, without a terminal, so SIGINT from a
    // terminal (sent to its foreground group) goes to the test's group and never to ffmpeg. In
    // the group, ffmpeg's guard. A close leaves none of them running.
    expect(ffmpeg).toMatchObject({ pgid: ffmpeg.pid, sid: ffmpeg.pid, ttyNr: 0 });
    expect(ffmpeg.pgid).not.toBe(ours.pgid);
    expect(group.map((info) => info.command).sort()).toEqual(['ffmpeg', 'sh']);
    for (const info of all) expect(info).toMatchObject({ sid: info.pgid, ttyNr: 0 });
    for (const info of all) expect(info.pgid).not.toBe(ours.pgid);
    for (const info of group) expect(isRunning(info.pid)).toBe(false);
    expect(processesUnder(directories.workDirectory)).toEqual([]);
  });

  it('fails the job with an ERROR event when ffmpeg is killed by a signal the transcoder did not send, and lets it go', async () => {
    // Prepare
    const directories = { journalDirectory: newDirectory('jobs'), workDirectory: newDirectory('work') };
    const request = await clipUpload(SLOW_CLIP);
    const { transcoder, events, errors } = newTranscoder(directories);
    const { jobId } = await transcoder.submit(request);
    const ffmpeg = await runningFfmpeg(directories.workDirectory);

    // Act
    process.kill(ffmpeg.pid, 'SIGKILL');
    await transcoder.idle();

    // Assess
    expect(events.map((event) => event.detail)).toEqual([
      expect.objectContaining({
        jobId,
        status: 'ERROR',
        errorCode: 1999,
        errorMessage: 'Transcoding failed: ffmpeg was killed by SIGKILL',
      }),
    ]);
    expect(errors).toEqual([]);
    expect(journalOf(directories.journalDirectory)).toEqual([]);
    expect(await keysUnder(request.videoId)).toEqual([]);
    await transcoder.close();
  });

  it('takes ffmpeg down with a transcoder process killed outright, and finishes the job at the next start', async () => {
    // Prepare: a transcoder in a process of its own, encoding.
    const directories = { journalDirectory: newDirectory('jobs'), workDirectory: newDirectory('work') };
    const request = await clipUpload(SLOW_CLIP);
    const settings: TranscoderProcessSettings = {
      s3Endpoint: servers.env.AWS_ENDPOINT_URL_S3 as string,
      region: servers.env.AWS_REGION as string,
      uploadBucket: servers.uploadBucket,
      mediaBucket: servers.mediaBucket,
      ...directories,
      request,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'support', 'transcoder-process.ts')], {
      cwd: resolve(__dirname, '..', '..', '..'),
      env: { ...process.env, [TRANSCODER_PROCESS_ENV]: JSON.stringify(settings) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
    const jobId = await waitFor('the job to be accepted', () => /accepted (\S+)/.exec(output)?.[1], 30_000);
    const ffmpeg = await runningFfmpeg(directories.workDirectory);
    const guards = processesUnder(directories.workDirectory).filter(
      (info) => info.pgid === ffmpeg.pgid && info.pid !== ffmpeg.pid,
    );

    // Act: as SIGKILL (or a crash) ends the twin: no close, no clean-up.
    child.kill('SIGKILL');
    await exited;

    // Assess: ffmpeg and its guard are gone within moments (long before the encode would have
    // ended by itself: about 1.5 s), the job's files left behind.
    await waitFor('ffmpeg to end', () => (isRunning(ffmpeg.pid) ? undefined : true), 500);
    expect(guards).toHaveLength(1);
    for (const guard of guards) expect(isRunning(guard.pid)).toBe(false);
    expect(output).not.toMatch(/event /);
    expect(journalOf(directories.journalDirectory)).toEqual([`${jobId}.json`]);
    expect(readdirSync(directories.workDirectory)).toEqual([expect.stringMatching(/^transcode-/)]);

    // Act: the next start.
    const after = newTranscoder(directories);
    await after.transcoder.resume();
    await after.transcoder.idle();

    // Assess: one COMPLETE event under the accepted job id, nothing left over.
    expect(after.events.map((event) => [event.detail.jobId, event.detail.status])).toEqual([[jobId, 'COMPLETE']]);
    expect(journalOf(directories.journalDirectory)).toEqual([]);
    expect(readdirSync(directories.workDirectory)).toEqual([]);
    expect(after.errors).toEqual([]);
  });

  it('sets an unreadable journal entry aside and tells why, and drops a write cut short', async () => {
    // Prepare
    const directories = { journalDirectory: newDirectory('jobs'), workDirectory: newDirectory('work') };
    writeFileSync(join(directories.journalDirectory, '1700000000000-abcdef.json'), '{"version":1,"jobId":');
    writeFileSync(join(directories.journalDirectory, '1700000000001-abcdef.json.tmp-0123abcd'), '{');
    const { transcoder, events, errors } = newTranscoder(directories);

    // Act
    const resumed = await transcoder.resume();
    await transcoder.close();

    // Assess
    expect(resumed).toEqual([]);
    expect(events).toEqual([]);
    expect(errors.map(String)).toEqual([
      expect.stringMatching(
        /^Error: the journal entry 1700000000000-abcdef\.json cannot be resumed \(.+\); set aside$/,
      ),
    ]);
    expect(journalOf(directories.journalDirectory)).toEqual(['1700000000000-abcdef.json.unreadable']);
  });
});
