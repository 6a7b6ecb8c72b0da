import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../lambda/adapters/s3-object-store';
import { VIDEO_ID_PATTERN } from '../lambda/core/playback-token';
import type { TranscodeRequest, Transcoder } from '../lambda/core/ports';
import { hlsPlaylistKey, type TranscodePlan } from '../lambda/core/rendition-ladder';
import { mediaPrefix } from '../lambda/core/upload-plan';
import {
  contentTypeOf,
  ffmpegArgs,
  type MatchedOutputs,
  matchOutputs,
  type OutputFile,
  outputDirectories,
  outputLayout,
  relativeKey,
  stderrSummary,
} from './ffmpeg-args';

/**
 * The local twin's MediaConvert: ffmpeg, driven by the same transcode plan, writing the same keys,
 * and announcing each finished job with the event EventBridge delivers for MediaConvert, so the
 * same job-state handler takes it from there. Jobs run one at a time (one machine stands in for
 * a service), each with one ffmpeg run that decodes the source once (see ./ffmpeg-args.ts).
 *
 * Like MediaConvert, it finishes what it accepted. With a journal folder, each accepted job is a
 * file there until its final event has been delivered; a stop (`close()`) or a crash leaves the
 * file, and `resume()` at the next start queues those jobs again, in order, under their own job
 * ids, so their events match the job ids the catalog recorded.
 *
 * ffmpeg and ffprobe run in their own process groups: a terminal's Ctrl-C, which goes to the whole
 * foreground group, stops the twin (which then stops them) instead of failing the running job. A
 * process group of its own also means ffmpeg would outlive a twin killed outright (SIGKILL), so
 * each group has a guard (see `GUARD_SCRIPT`) that kills it when the twin is gone.
 */

export interface FfmpegTranscoderOptions {
  /**
   * An S3 client pointed at the S3-compatible server, built like `createS3Client` (checksums only
   * when required: the server mangles streamed uploads otherwise).
   */
  readonly s3: S3Client;
  readonly uploadBucket: string;
  readonly mediaBucket: string;
  /** Receives each finished job's event, shaped as EventBridge delivers MediaConvert's; the twin passes it to the same job-state handler as AWS. */
  readonly onJobEvent: (event: MediaConvertJobStateEvent) => Promise<unknown>;
  /** Where jobs work; @default os.tmpdir() */
  readonly workDirectory?: string;
  /**
   * A folder that keeps each accepted job (one `<job id>.json` file with its request) until its
   * final event was delivered, so that jobs cut short by a stop or a crash run again after
   * `resume()`. One transcoder at a time per folder; it is created if missing.
   * @default - no journal: a close drops unfinished jobs
   */
  readonly journalDirectory?: string;
  /** Told of unexpected failures (the job still ends with an ERROR event). */
  readonly onError?: (error: unknown) => void;
}

export interface MediaConvertOutputDetail {
  readonly outputFilePaths: readonly string[];
  /** Absent on frame captures, as MediaConvert reports them. */
  readonly durationInMs?: number;
  readonly videoDetails: { readonly widthInPx: number; readonly heightInPx: number };
}

export interface MediaConvertOutputGroupDetail {
  readonly type: 'HLS_GROUP' | 'FILE_GROUP';
  /** The master playlist, on the HLS group. */
  readonly playlistFilePaths?: readonly string[];
  readonly outputDetails: readonly MediaConvertOutputDetail[];
}

interface JobDetailBase {
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly accountId: string;
  readonly queue: string;
  readonly jobId: string;
  readonly userMetadata: { readonly videoId: string; readonly uploadId: string };
}

export type MediaConvertJobDetail =
  | (JobDetailBase & {
      readonly status: 'COMPLETE';
      readonly outputGroupDetails: readonly MediaConvertOutputGroupDetail[];
    })
  | (JobDetailBase & { readonly status: 'ERROR'; readonly errorCode: number; readonly errorMessage: string });

/** A "MediaConvert Job State Change" event as EventBridge delivers it. */
export interface MediaConvertJobStateEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'MediaConvert Job State Change';
  readonly source: 'aws.mediaconvert';
  readonly account: string;
  /** ISO 8601, whole seconds. */
  readonly time: string;
  readonly region: string;
  /** The job's ARN. */
  readonly resources: readonly string[];
  readonly detail: MediaConvertJobDetail;
}

/**
 * MediaConvert's error codes, as its documentation names them: 1010 when it cannot open or read
 * the input (missing, unreadable, not a video), 1999 for anything else (here: ffmpeg failing on
 * an input it could open, or an output that could not be written).
 */
export const JOB_ERROR_CODES = Object.freeze({ inputUnreadable: 1010, other: 1999 });

/** The twin has no AWS account; the events carry this one. */
const LOCAL_ACCOUNT = '000000000000';
/** MediaConvert's limit on `ClientRequestToken`. */
const CLIENT_TOKEN_PATTERN = /^[\x20-\x7E]{1,64}$/;
/** Files in a job's directory, which is ffmpeg's working directory. */
const SOURCE_FILE = 'source';
const OUTPUT_DIRECTORY = 'out';
/** Concurrent uploads to the S3 server within one stage. */
const UPLOAD_CONCURRENCY = 4;
/** The tail of a process's stderr kept for its error message. */
const STDERR_TAIL_CHARS = 16_384;
const JOURNAL_VERSION = 1;
/** Journal files are `<job id>.json`, written as `<job id>.json.tmp-<random>` and renamed. */
const JOURNAL_SUFFIX = '.json';
const JOURNAL_TEMP_MARK = '.tmp-';
/** What `newJobId` makes; a journal file's name is built from it. */
const JOB_ID_PATTERN = /^\d{13}-[a-z0-9]{6}$/;
/** A job's work directory is `transcode-<job id>-<random>`, so a resumed job can clear its predecessor's. */
const workPrefixOf = (jobId: string) => `transcode-${jobId}-`;

/** A job failed for a reason MediaConvert would report: not a bug, nothing to tell `onError`. */
class JobFailure extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'JobFailure';
  }
}

/** The transcoder was closed under the job. */
class JobStopped extends Error {}

interface Job {
  readonly jobId: string;
  readonly request: TranscodeRequest;
  /** Order of acceptance, kept across restarts by the journal. */
  readonly sequence: number;
}

/** A job queued again by `resume()`. */
export interface ResumedJob {
  readonly jobId: string;
  readonly videoId: string;
}

/** One journal file: what `resume()` needs to run the job again as it was accepted. */
interface JournalEntry {
  readonly version: typeof JOURNAL_VERSION;
  readonly sequence: number;
  readonly jobId: string;
  /** ISO 8601; for people reading the folder. */
  readonly acceptedAt: string;
  readonly request: TranscodeRequest;
}

/** A running process: its pid is its process group's id. */
interface RunningProcess {
  readonly child: ChildProcess;
  /** Exited (and reaped): its pid may belong to another process now. */
  exited: boolean;
}

interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface MediaInfo {
  readonly durationInMs?: number;
  readonly width: number;
  readonly height: number;
  readonly hasVideo: boolean;
  readonly hasAudio: boolean;
}

/** MediaConvert's job id format: epoch milliseconds, a dash, six lowercase letters or digits. */
function newJobId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const suffix = Array.from({ length: 6 }, () => alphabet[randomInt(alphabet.length)]).join('');
  return `${Date.now()}-${suffix}`;
}

/** Refuses what CreateJob would refuse, and ids that could not be a key prefix. */
function checkRequest(request: TranscodeRequest): void {
  if (!CLIENT_TOKEN_PATTERN.test(request.clientToken))
    throw new RangeError('clientToken must be 1 to 64 printable ASCII characters');
  if (!VIDEO_ID_PATTERN.test(request.videoId)) throw new RangeError(`invalid video id ${request.videoId}`);
  if (request.plan.videoId !== request.videoId)
    throw new RangeError(`the plan is for video ${request.plan.videoId}, the request for ${request.videoId}`);
}

const isMissing = (error: unknown): boolean => {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'NoSuchKey' || name === 'NotFound' || $metadata?.httpStatusCode === 404;
};

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** A journal file's entry, checked as a request to `submit` would be; throws saying what is wrong. */
function parseJournalEntry(name: string, text: string): JournalEntry {
  const entry = JSON.parse(text) as unknown;
  if (!isObject(entry) || entry.version !== JOURNAL_VERSION) throw new Error('not a journal entry of this version');
  const { jobId, sequence, request } = entry;
  if (typeof jobId !== 'string' || !JOB_ID_PATTERN.test(jobId) || `${jobId}${JOURNAL_SUFFIX}` !== name)
    throw new Error('its job id does not match its name');
  if (!Number.isSafeInteger(sequence)) throw new Error('it has no sequence number');
  if (!isObject(request) || !isObject(request.plan)) throw new Error('it has no transcode request');
  for (const field of ['videoId', 'uploadId', 'sourceKey', 'clientToken'] as const)
    if (typeof request[field] !== 'string') throw new Error(`its request has no ${field}`);
  checkRequest(request as unknown as TranscodeRequest);
  return entry as unknown as JournalEntry;
}

/** Writes a whole file or none: a temporary file, flushed to disk, then renamed over the name. */
async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}${JOURNAL_TEMP_MARK}${randomBytes(4).toString('hex')}`;
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * How ffmpeg and ffprobe are started: `sh -c GUARD_SCRIPT guard <command> <args…>`, the shell
 * leading a new process group (`detached`). It forks the guard, which waits for end-of-file on
 * the shell's stdin (a pipe only this process holds, and never writes to) and then kills the group
 * the shell leads (`-$$`, the shell's pid, even in the guard); then the shell becomes the command
 * (`exec`), which keeps its pid and group, so this process sees the command's own exit code or
 * signal. The pipe ends when this process ends, however it ends (SIGKILL included), so an orphaned
 * ffmpeg dies at once instead of encoding on. The guard exists before the command runs: there is
 * no moment when the command is unguarded. When the command ends, Node closes the pipe and the
 * guard, alone in the group (which keeps the group id from being reused), kills itself. Were the
 * shell not a group leader, there would be no group `$$` and the guard would kill nothing.
 */
const GUARD_SCRIPT =
  'exec 3<&0; { read -r line <&3; kill -KILL -$$; } </dev/null >/dev/null 2>&1 & exec "$@" </dev/null 3<&-';
/** The shell's exit code when it cannot run the command (not installed). */
const COMMAND_NOT_FOUND = 127;

/** SIGKILL to a whole process group; one that is gone already is fine. */
function killGroup(pgid: number | undefined): void {
  if (pgid === undefined) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: it ended meanwhile.
  }
}

/** Every file under `directory`, as `/`-separated paths relative to it. */
async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)).split(sep).join(posix.sep));
}

/** Runs `task` on every item, at most `limit` at a time; the first failure fails the whole. */
async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * ffmpeg decodes what it can of a damaged file and exits 0: a source cut off halfway would become
 * a READY video of its first seconds. Outputs much shorter than the source's container says
 * fail the job as an input MediaConvert cannot read. Half, not all: tracks of unequal lengths and
 * rounding are normal.
 */
function checkWhole(source: MediaInfo, details: readonly MediaConvertOutputGroupDetail[], stderr: string): void {
  const expected = source.durationInMs;
  const made = Math.max(
    0,
    ...details.flatMap((group) => group.outputDetails.map((output) => output.durationInMs ?? 0)),
  );
  if (expected === undefined || made >= expected / 2) return;
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  const why = stderrSummary(stderr);
  throw new JobFailure(
    JOB_ERROR_CODES.inputUnreadable,
    `Unable to read the whole input file: ${seconds(made)} s of ${seconds(expected)} s decoded${why ? `: ${why}` : ''}`,
  );
}

export class FfmpegTranscoder implements Transcoder {
  readonly #options: FfmpegTranscoderOptions;
  readonly #media: S3ObjectStore;
  readonly #workDirectory: string;
  readonly #queue: Job[] = [];
  /**
   * Client token to job id: MediaConvert answers a repeated token with the first job. Pending
   * while the job's journal entry is written; a failed write forgets the token.
   */
  readonly #jobIds = new Map<string, Promise<string>>();
  readonly #children = new Set<RunningProcess>();
  /** Journal writes under way, which a close waits for. */
  readonly #writes = new Set<Promise<unknown>>();
  readonly #stop = new AbortController();
  #nextSequence = 0;
  #resumed?: Promise<readonly ResumedJob[]>;
  #draining = false;
  #drained: Promise<void> = Promise.resolve();
  #region?: Promise<string>;

  constructor(options: FfmpegTranscoderOptions) {
    this.#options = options;
    this.#media = new S3ObjectStore(options.s3, options.mediaBucket);
    this.#workDirectory = options.workDirectory ?? tmpdir();
  }

  /**
   * Accepts the job (journals it, when there is a journal) and answers with its id; the job's
   * event comes when it ends. A submit before `resume()` has read the journal waits for it, so
   * that resumed jobs keep their places and their client tokens.
   */
  async submit(request: TranscodeRequest): Promise<{ readonly jobId: string }> {
    this.#assertOpen();
    checkRequest(request);
    await this.resume();
    this.#assertOpen();
    const known = this.#jobIds.get(request.clientToken);
    if (known !== undefined) return { jobId: await known };
    const job: Job = { jobId: newJobId(), request, sequence: this.#nextSequence++ };
    const written = this.#journal(job);
    const jobId = written.then(() => job.jobId);
    jobId.catch(() => undefined);
    this.#jobIds.set(request.clientToken, jobId);
    try {
      await written;
    } catch (error) {
      this.#jobIds.delete(request.clientToken);
      throw error;
    }
    // Journaled, the job is accepted even if a close came meanwhile: it runs at the next start.
    if (!this.#stop.signal.aborted) this.#enqueue(job);
    return { jobId: job.jobId };
  }

  /**
   * Reads the journal once and queues its jobs (those accepted before a stop or a crash and not
   * yet announced) in the order they were accepted, under their own job ids; answers them. Call
   * it once at start, when `onJobEvent` can take events; a first `submit` calls it too. Without
   * a journal there is nothing to resume. Unreadable entries are reported and set aside as
   * `<name>.unreadable`; a write cut short (never accepted) is removed.
   */
  resume(): Promise<readonly ResumedJob[]> {
    if (this.#stop.signal.aborted) return Promise.reject(new Error('the transcoder is closed'));
    if (this.#resumed === undefined) {
      this.#resumed = this.#readJournal();
      // A failed read (say, an unreadable folder) may be tried again.
      this.#resumed.catch(() => {
        this.#resumed = undefined;
      });
    }
    return this.#resumed;
  }

  /** Resolves when no job is queued or running (their events delivered). */
  async idle(): Promise<void> {
    while (this.#draining) await this.#drained;
  }

  /**
   * Stops: kills a running ffmpeg, drops queued jobs, waits for the running one to clean up its
   * temporary files. Jobs cut short announce nothing (the twin is going down); with a journal
   * they stay in it and run again after the next `resume()`, without one they are lost. What
   * they had uploaded stays: no playlist points at it, since the master is uploaded last, and a
   * job run again writes the same keys.
   */
  async close(): Promise<void> {
    this.#stop.abort();
    this.#queue.length = 0;
    for (const running of this.#children) if (!running.exited) killGroup(running.child.pid);
    await Promise.allSettled([this.#resumed, ...this.#writes]);
    await this.idle();
  }

  /** Writes the job's journal entry, if there is a journal; the job is accepted once it is written. */
  async #journal(job: Job): Promise<void> {
    const directory = this.#options.journalDirectory;
    if (directory === undefined) return;
    const entry: JournalEntry = {
      version: JOURNAL_VERSION,
      sequence: job.sequence,
      jobId: job.jobId,
      acceptedAt: new Date().toISOString(),
      request: job.request,
    };
    const written = writeFileAtomically(join(directory, `${job.jobId}${JOURNAL_SUFFIX}`), JSON.stringify(entry));
    this.#writes.add(written);
    try {
      await written;
    } finally {
      this.#writes.delete(written);
    }
  }

  /** Removes the journal entry of a job whose final event was delivered. */
  async #forget(job: Job): Promise<void> {
    const directory = this.#options.journalDirectory;
    if (directory === undefined) return;
    try {
      await rm(join(directory, `${job.jobId}${JOURNAL_SUFFIX}`), { force: true });
    } catch (error) {
      // The job would run again at the next start; its repeated event changes nothing.
      this.#report(error);
    }
  }

  async #readJournal(): Promise<readonly ResumedJob[]> {
    const directory = this.#options.journalDirectory;
    if (directory === undefined) return [];
    await mkdir(directory, { recursive: true });
    const entries: JournalEntry[] = [];
    for (const name of (await readdir(directory)).sort()) {
      const path = join(directory, name);
      if (name.includes(JOURNAL_TEMP_MARK)) {
        await rm(path, { force: true });
        continue;
      }
      if (!name.endsWith(JOURNAL_SUFFIX)) continue;
      try {
        entries.push(parseJournalEntry(name, await readFile(path, 'utf8')));
      } catch (error) {
        this.#report(new Error(`the journal entry ${name} cannot be resumed (${messageOf(error)}); set aside`));
        await rename(path, `${path}.unreadable`).catch((renameError) => this.#report(renameError));
      }
    }
    entries.sort((a, b) => a.sequence - b.sequence || (a.jobId < b.jobId ? -1 : 1));
    for (const entry of entries) this.#nextSequence = Math.max(this.#nextSequence, entry.sequence + 1);
    await this.#clearWorkOf(entries.map((entry) => entry.jobId));
    // Closed meanwhile: the journal stays as it is for the next start.
    if (this.#stop.signal.aborted) return [];
    for (const { jobId, request, sequence } of entries) {
      this.#jobIds.set(request.clientToken, Promise.resolve(jobId));
      this.#enqueue({ jobId, request, sequence });
    }
    return entries.map(({ jobId, request }) => ({ jobId, videoId: request.videoId }));
  }

  /** Removes what earlier runs of these jobs left in the work directory (a crash skips their clean-up). */
  async #clearWorkOf(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length === 0) return;
    const prefixes = jobIds.map(workPrefixOf);
    const names = await readdir(this.#workDirectory).catch(() => [] as string[]);
    for (const name of names)
      if (prefixes.some((prefix) => name.startsWith(prefix)))
        await rm(join(this.#workDirectory, name), { recursive: true, force: true }).catch((error) =>
          this.#report(error),
        );
  }

  /** Queues the job in the order of acceptance (journal writes may finish out of order) and starts the queue. */
  #enqueue(job: Job): void {
    const at = this.#queue.findIndex((queued) => queued.sequence > job.sequence);
    if (at === -1) this.#queue.push(job);
    else this.#queue.splice(at, 0, job);
    this.#drain();
  }

  /** Runs queued jobs one after another; the flag is cleared in the same turn the queue is found empty. */
  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#drained = (async () => {
      try {
        for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift())
          await this.#run(job).catch((error) => this.#report(error));
      } finally {
        this.#draining = false;
      }
    })();
  }

  /**
   * One job, start to event. Never throws: whatever happens ends in an event (or, once closed, in
   * nothing). The journal entry goes once the event was delivered; a job cut short by a close,
   * or whose event `onJobEvent` failed to take, stays journaled and runs again at the next start.
   */
  async #run(job: Job): Promise<void> {
    let directory: string | undefined;
    let event: MediaConvertJobStateEvent | undefined;
    try {
      directory = await mkdtemp(join(this.#workDirectory, workPrefixOf(job.jobId)));
      const outputGroupDetails = await this.#transcode(job, directory);
      event = await this.#event(job, { status: 'COMPLETE', outputGroupDetails });
    } catch (error) {
      if (!this.#stop.signal.aborted) event = await this.#failed(job, error, directory);
    } finally {
      if (directory !== undefined) await rm(directory, { recursive: true, force: true }).catch((e) => this.#report(e));
    }
    // A job that finished before a close still announces itself; one the close cut short does not.
    if (event === undefined) return;
    try {
      await this.#options.onJobEvent(event);
    } catch (error) {
      this.#report(error);
      return;
    }
    await this.#forget(job);
  }

  async #transcode(job: Job, directory: string): Promise<MediaConvertOutputGroupDetail[]> {
    const { plan, sourceKey } = job.request;
    const layout = outputLayout(plan);
    await this.#download(sourceKey, join(directory, SOURCE_FILE));
    const source = await this.#probeSource(directory);

    const outputs = join(directory, OUTPUT_DIRECTORY);
    for (const name of outputDirectories(layout)) await mkdir(join(outputs, name), { recursive: true });
    const args = ffmpegArgs(plan, {
      input: SOURCE_FILE,
      outputDirectory: OUTPUT_DIRECTORY,
      sourceHasAudio: source.hasAudio,
    });
    const result = await this.#exec('ffmpeg', args, directory);
    // Killed by a signal the transcoder did not send (it sends one only on close): a failure.
    if (result.code !== 0)
      throw new JobFailure(
        JOB_ERROR_CODES.other,
        `Transcoding failed: ${
          stderrSummary(result.stderr) ||
          (result.signal ? `ffmpeg was killed by ${result.signal}` : `ffmpeg exited with ${result.code}`)
        }`,
      );

    const matched = matchOutputs(plan, await filesUnder(outputs));
    const details = await this.#measure(plan, outputs, matched);
    checkWhole(source, details, result.stderr);
    for (const stage of matched.stages) await this.#upload(outputs, stage);
    return details;
  }

  /** Streams the source to a file: it may be many GiB. */
  async #download(key: string, path: string): Promise<void> {
    const signal = this.#stop.signal;
    try {
      const { Body } = await this.#options.s3.send(
        new GetObjectCommand({ Bucket: this.#options.uploadBucket, Key: key }),
        {
          abortSignal: signal,
        },
      );
      if (!(Body instanceof Readable)) throw new Error('the S3 server sent no body');
      await pipeline(Body, createWriteStream(path), { signal });
    } catch (error) {
      this.#checkOpen();
      throw new JobFailure(
        JOB_ERROR_CODES.inputUnreadable,
        isMissing(error)
          ? 'Unable to open input file: the source object does not exist'
          : `Unable to open input file: ${messageOf(error)}`,
      );
    }
  }

  /** What the source holds, or a 1010 failure in ffprobe's words when it is not a video. */
  async #probeSource(directory: string): Promise<MediaInfo> {
    const probed = await this.#probe(SOURCE_FILE, directory);
    if ('error' in probed)
      throw new JobFailure(
        JOB_ERROR_CODES.inputUnreadable,
        `Unable to open input file: ${probed.error.split(`${SOURCE_FILE}: `).join('') || 'ffprobe cannot read it'}`,
      );
    if (!probed.hasVideo)
      throw new JobFailure(JOB_ERROR_CODES.inputUnreadable, 'Unable to open input file: it has no video track');
    return probed;
  }

  /** Duration, first video size and tracks of a media file, from ffprobe. */
  async #probe(path: string, cwd: string): Promise<MediaInfo | { readonly error: string }> {
    const result = await this.#exec(
      'ffprobe',
      ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,width,height', '-of', 'json', path],
      cwd,
    );
    if (result.signal) throw new Error(`ffprobe was killed by ${result.signal}`);
    if (result.code !== 0) return { error: stderrSummary(result.stderr) };
    const parsed = JSON.parse(result.stdout) as {
      format?: { duration?: string };
      streams?: { codec_type?: string; width?: number; height?: number }[];
    };
    const streams = parsed.streams ?? [];
    const video = streams.find((stream) => stream.codec_type === 'video');
    const seconds = Number(parsed.format?.duration);
    return {
      ...(Number.isFinite(seconds) && seconds > 0 ? { durationInMs: Math.round(seconds * 1000) } : {}),
      width: video?.width ?? 0,
      height: video?.height ?? 0,
      hasVideo: video !== undefined,
      hasAudio: streams.some((stream) => stream.codec_type === 'audio'),
    };
  }

  /** The event's output details, measured from the files (as MediaConvert reports what it wrote). */
  async #measure(
    plan: TranscodePlan,
    outputs: string,
    matched: MatchedOutputs,
  ): Promise<MediaConvertOutputGroupDetail[]> {
    const uri = (key: string) => `s3://${this.#options.mediaBucket}/${key}`;
    const detailOf = async (key: string, withDuration: boolean): Promise<MediaConvertOutputDetail> => {
      const probed = await this.#probe(relativeKey(plan.videoId, key), outputs);
      if ('error' in probed)
        throw new Error(`cannot read the output ${relativeKey(plan.videoId, key)}: ${probed.error}`);
      return {
        outputFilePaths: [uri(key)],
        ...(withDuration && probed.durationInMs !== undefined ? { durationInMs: probed.durationInMs } : {}),
        videoDetails: { widthInPx: probed.width, heightInPx: probed.height },
      };
    };
    const hls: MediaConvertOutputDetail[] = [];
    for (const rung of plan.hls.rungs) hls.push(await detailOf(hlsPlaylistKey(plan.videoId, rung), true));
    const lastCapture = matched.thumbnails[matched.thumbnails.length - 1] as OutputFile;
    return [
      { type: 'HLS_GROUP', playlistFilePaths: [uri(plan.hls.masterKey)], outputDetails: hls },
      { type: 'FILE_GROUP', outputDetails: [await detailOf(plan.mp4.key, true)] },
      { type: 'FILE_GROUP', outputDetails: [await detailOf(lastCapture.key, false)] },
    ];
  }

  async #upload(outputs: string, files: readonly OutputFile[]): Promise<void> {
    await forEachLimited(files, UPLOAD_CONCURRENCY, async ({ file, key }) => {
      this.#checkOpen();
      const path = join(outputs, file);
      const { size } = await stat(path);
      await this.#options.s3.send(
        new PutObjectCommand({
          Bucket: this.#options.mediaBucket,
          Key: key,
          Body: createReadStream(path),
          ContentLength: size,
          ContentType: contentTypeOf(file),
        }),
        { abortSignal: this.#stop.signal },
      );
    });
  }

  /** Removes what the job uploaded and builds its ERROR event; a failure that is a bug is reported too. */
  async #failed(job: Job, error: unknown, directory: string | undefined): Promise<MediaConvertJobStateEvent> {
    const failure =
      error instanceof JobFailure
        ? error
        : new JobFailure(JOB_ERROR_CODES.other, `The job could not finish: ${messageOf(error)}`);
    if (!(error instanceof JobFailure)) this.#report(error);
    try {
      await this.#media.deleteByPrefix(mediaPrefix(job.request.videoId));
    } catch (cleanupError) {
      this.#report(cleanupError);
    }
    // No message names the machine's temporary directories.
    const message =
      directory === undefined
        ? failure.message
        : failure.message.split(`${directory}${sep}`).join('').split(directory).join('.');
    return this.#event(job, { status: 'ERROR', errorCode: failure.errorCode, errorMessage: message });
  }

  async #event(
    job: Job,
    outcome:
      | { readonly status: 'COMPLETE'; readonly outputGroupDetails: readonly MediaConvertOutputGroupDetail[] }
      | { readonly status: 'ERROR'; readonly errorCode: number; readonly errorMessage: string },
  ): Promise<MediaConvertJobStateEvent> {
    const region = await this.#resolveRegion();
    const now = new Date();
    const { videoId, uploadId } = job.request;
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'MediaConvert Job State Change',
      source: 'aws.mediaconvert',
      account: LOCAL_ACCOUNT,
      time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [`arn:aws:mediaconvert:${region}:${LOCAL_ACCOUNT}:jobs/${job.jobId}`],
      detail: {
        timestamp: now.getTime(),
        accountId: LOCAL_ACCOUNT,
        queue: `arn:aws:mediaconvert:${region}:${LOCAL_ACCOUNT}:queues/Default`,
        jobId: job.jobId,
        userMetadata: { videoId, uploadId },
        ...outcome,
      },
    };
  }

  /** The S3 client's region names the twin's region in the events. */
  #resolveRegion(): Promise<string> {
    this.#region ??= this.#options.s3.config.region().catch(() => 'us-east-1');
    return this.#region;
  }

  /**
   * Runs a process in `cwd`, keeping its stdout and the tail of its stderr. It leads a process
   * group of its own, out of reach of the terminal's Ctrl-C, with a guard that kills the group if
   * this process dies (see `GUARD_SCRIPT`); on close the transcoder kills the group, and the run
   * rejects as stopped. A process that cannot start (not installed) rejects.
   */
  #exec(command: string, args: readonly string[], cwd: string): Promise<ProcessResult> {
    this.#checkOpen();
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', GUARD_SCRIPT, 'guard', command, ...args], {
        cwd,
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const running: RunningProcess = { child, exited: false };
      this.#children.add(running);
      const stdout: Buffer[] = [];
      let stderr = '';
      child.stdin?.on('error', () => undefined);
      child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
      });
      child.once('exit', () => {
        running.exited = true;
      });
      child.once('error', (error) => {
        running.exited = true;
        this.#children.delete(running);
        reject(error);
      });
      child.once('close', (code, signal) => {
        this.#children.delete(running);
        if (this.#stop.signal.aborted) reject(new JobStopped('the transcoder was closed'));
        else if (code === COMMAND_NOT_FOUND) reject(new Error(`cannot run ${command}: ${stderrSummary(stderr)}`));
        else resolve({ code, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr });
      });
    });
  }

  #checkOpen(): void {
    if (this.#stop.signal.aborted) throw new JobStopped('the transcoder was closed');
  }

  #assertOpen(): void {
    if (this.#stop.signal.aborted) throw new Error('the transcoder is closed');
  }

  #report(error: unknown): void {
    try {
      this.#options.onError?.(error);
    } catch {
      // A failing error listener must not stop the queue.
    }
  }
}
