import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  DEFAULT_LADDER,
  hlsPlaylistKey,
  hlsSegmentKey,
  type LadderSpec,
  outputsOf,
  type TranscodePlan,
  thumbnailKey,
  type VideoRung,
} from '../../../lambda/core/rendition-ladder';
import type { MediaConvertJobStateEvent } from '../../../lambda/transcode/job-state-event';
import { makeClip } from '../../../local/harness/clips';
import { durationOf, transcoderFixture } from './transcoder-fixture';

/** What a job makes of a good source: every output under the plan's keys, as MediaConvert makes them. */

const run = promisify(execFile);

const { servers, newDirectory, newTranscoder, newUpload, clipUpload, keysUnder } = transcoderFixture();

/** Every object under the video's prefix, downloaded into a fresh directory; returns the directory and each key's content type. */
async function downloadOutputs(videoId: string): Promise<{ directory: string; types: Record<string, string> }> {
  const directory = newDirectory('outputs');
  const types: Record<string, string> = {};
  for (const key of await keysUnder(videoId)) {
    const object = await servers().s3.send(new GetObjectCommand({ Bucket: servers().mediaBucket, Key: key }));
    const path = join(directory, key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, await (object.Body?.transformToByteArray() ?? new Uint8Array()));
    types[key] = object.ContentType ?? '';
  }
  return { directory, types };
}

interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  side_data_list?: unknown[];
}

async function probeStreams(path: string): Promise<ProbedStream[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', path]);
  return (JSON.parse(stdout) as { streams: ProbedStream[] }).streams;
}

/** Keyframe times of the first video stream, from the first one, in seconds. */
async function keyframeTimes(path: string): Promise<number[]> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-select_streams', 'v:0', '-skip_frame', 'nokey'],
    ...['-show_entries', 'frame=pts_time', '-of', 'json', path],
  ]);
  const times = (JSON.parse(stdout) as { frames: { pts_time: string }[] }).frames.map((frame) =>
    Number(frame.pts_time),
  );
  const first = times[0] ?? 0;
  return times.map((time) => Math.round((time - first) * 1000) / 1000);
}

/**
 * The first frame shrunk to 4×8 grey pixels, as stored (no rotation applied) or as a player shows
 * it (rotated by the container's display matrix): enough to tell a picture from its turned twin.
 */
async function firstFrameSketch(path: string, asShown: boolean): Promise<Buffer> {
  const { stdout } = await run(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', ...(asShown ? [] : ['-noautorotate']), '-i', path],
      ...['-vf', 'scale=4:8,format=gray', '-frames:v', '1', '-f', 'rawvideo', '-'],
    ],
    { encoding: 'buffer' },
  );
  return stdout;
}

const meanDifference = (a: Buffer, b: Buffer) =>
  a.reduce((sum, value, index) => sum + Math.abs(value - (b[index] ?? 0)), 0) / a.length;

/** The names of an MP4's top-level boxes, in order. */
function topLevelBoxes(bytes: Buffer): string[] {
  const boxes: string[] = [];
  for (let offset = 0; offset + 8 <= bytes.length; ) {
    const size = bytes.readUInt32BE(offset);
    boxes.push(bytes.toString('latin1', offset + 4, offset + 8));
    const length = size === 1 ? Number(bytes.readBigUInt64BE(offset + 8)) : size === 0 ? bytes.length - offset : size;
    offset += length;
  }
  return boxes;
}

/** The URI lines of a playlist, and its tags. */
const playlistLines = (text: string) => {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return { uris: lines.filter((line) => !line.startsWith('#')), tags: lines.filter((line) => line.startsWith('#')) };
};

/** Every key a finished job must have written, with its content type. */
function expectedKeys(plan: TranscodePlan, segmentCount: number, captureCount: number): Record<string, string> {
  const keys: Record<string, string> = { [plan.hls.masterKey]: 'application/x-mpegURL', [plan.mp4.key]: 'video/mp4' };
  for (const rung of plan.hls.rungs) {
    keys[hlsPlaylistKey(plan.videoId, rung)] = 'application/x-mpegURL';
    for (let sequence = 1; sequence <= segmentCount; sequence++)
      keys[hlsSegmentKey(plan.videoId, rung, sequence)] = 'video/MP2T';
  }
  for (let index = 0; index < captureCount; index++) keys[thumbnailKey(plan.videoId, index)] = 'image/jpeg';
  return keys;
}

const rungPlaylist = (directory: string, plan: TranscodePlan, rung: VideoRung) =>
  join(directory, hlsPlaylistKey(plan.videoId, rung));

describe('ffmpeg standing in for MediaConvert: the outputs', () => {
  it('makes every output of a plan with sound under the plan’s keys, then announces COMPLETE', async () => {
    // Prepare: a 4 s clip with sound, cut in 1 s GOPs and 2 s segments, with a 180p rung under its
    // 360p and a capture every second (at most 3), so numbering and alignment show in 4 s.
    const ladder: LadderSpec = {
      ...DEFAULT_LADDER,
      rungs: [...DEFAULT_LADDER.rungs, { shortSide: 180, qvbrQuality: 6, maxBitrateKbps: 300 }],
      gopSeconds: 1,
      segmentSeconds: 2,
      thumbnails: { shortSide: 180, intervalSeconds: 1, maxCaptures: 3 },
    };
    const request = await clipUpload({ width: 640, height: 360, seconds: 4 }, {}, ladder);
    const { plan } = request;
    const { transcoder, events, errors, workDirectory } = newTranscoder();

    // Act
    const { jobId } = await transcoder.submit(request);
    await transcoder.idle();

    // Assess: the event.
    expect(jobId).toMatch(/^\d{13}-[a-z0-9]{6}$/);
    expect(events).toHaveLength(1);
    const event = events[0] as MediaConvertJobStateEvent;
    expect(event).toMatchObject({
      'detail-type': 'MediaConvert Job State Change',
      source: 'aws.mediaconvert',
      resources: [expect.stringMatching(new RegExp(`^arn:aws:mediaconvert:[a-z0-9-]+:000000000000:jobs/${jobId}$`))],
      detail: { jobId, status: 'COMPLETE', userMetadata: { videoId: request.videoId, uploadId: request.uploadId } },
    });
    const change = durationOf(event);
    expect(change).toMatchObject({ status: 'COMPLETE', videoId: request.videoId, uploadId: request.uploadId });
    expect(change.durationSeconds).toBeGreaterThanOrEqual(3.8);
    expect(change.durationSeconds).toBeLessThanOrEqual(4.2);
    expect(errors).toEqual([]);
    expect(readdirSync(workDirectory)).toEqual([]);

    // Assess: exactly the plan's keys, with MediaConvert's content types, the catalog's outputs among them.
    expect(plan.hls.rungs.map((rung) => `${rung.width}x${rung.height}`)).toEqual(['640x360', '320x180']);
    const { directory, types } = await downloadOutputs(request.videoId);
    expect(types).toEqual(expectedKeys(plan, 2, 3));
    const outputs = outputsOf(plan, change.durationSeconds ?? 0);
    for (const key of Object.values(outputs)) expect(types).toHaveProperty([key]);

    // Assess: the master names each variant relatively, with its bandwidth, resolution and codecs.
    const master = readFileSync(join(directory, plan.hls.masterKey), 'utf8');
    expect(playlistLines(master).uris).toEqual(
      plan.hls.rungs.map((rung) => posix.basename(hlsPlaylistKey(plan.videoId, rung))),
    );
    for (const rung of plan.hls.rungs)
      expect(master).toMatch(
        new RegExp(
          `#EXT-X-STREAM-INF:BANDWIDTH=\\d+,RESOLUTION=${rung.width}x${rung.height},CODECS="avc1\\.64[0-9a-f]{4},mp4a\\.40\\.2"`,
        ),
      );

    // Assess: each rung at its size, with AAC sound, segments named relatively, IDR frames every GOP.
    for (const rung of plan.hls.rungs) {
      const playlist = readFileSync(rungPlaylist(directory, plan, rung), 'utf8');
      expect(playlistLines(playlist).uris).toEqual(
        [1, 2].map((n) => posix.basename(hlsSegmentKey(plan.videoId, rung, n))),
      );
      expect(playlist).toContain('#EXT-X-ENDLIST');
      const streams = await probeStreams(rungPlaylist(directory, plan, rung));
      expect(streams.filter((stream) => stream.codec_type === 'video')).toEqual([
        expect.objectContaining({ codec_name: 'h264', width: rung.width, height: rung.height }),
      ]);
      expect(streams.filter((stream) => stream.codec_type === 'audio')).toEqual([
        expect.objectContaining({ codec_name: 'aac', sample_rate: '48000', channels: 2 }),
      ]);
      expect(await keyframeTimes(rungPlaylist(directory, plan, rung))).toEqual([0, 1, 2, 3]);
    }

    // Assess: the MP4 starts fast, at its rung's size, with the same GOPs and sound.
    const mp4Path = join(directory, plan.mp4.key);
    const boxes = topLevelBoxes(readFileSync(mp4Path));
    expect(boxes.indexOf('moov')).toBeGreaterThanOrEqual(0);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    const mp4Streams = await probeStreams(mp4Path);
    expect(mp4Streams.map((stream) => stream.codec_type).sort()).toEqual(['audio', 'video']);
    expect(mp4Streams.find((stream) => stream.codec_type === 'video')).toMatchObject({
      width: plan.mp4.rung.width,
      height: plan.mp4.rung.height,
    });
    expect(await keyframeTimes(mp4Path)).toEqual([0, 1, 2, 3]);

    // Assess: the captures at the plan's size.
    for (let index = 0; index < 3; index++)
      expect(await probeStreams(join(directory, thumbnailKey(plan.videoId, index)))).toEqual([
        expect.objectContaining({ codec_name: 'mjpeg', width: plan.thumbnails.width, height: plan.thumbnails.height }),
      ]);
  });

  it('makes a silent HD source’s three rungs with aligned 2 s GOPs and no audio anywhere', async () => {
    // Prepare
    const request = await clipUpload({ width: 1280, height: 720, seconds: 3, audio: false });
    const { plan } = request;
    const { transcoder, events, errors } = newTranscoder();

    // Act
    await transcoder.submit(request);
    await transcoder.idle();

    // Assess
    expect(errors).toEqual([]);
    const change = durationOf(events[0]);
    expect(change.status).toBe('COMPLETE');
    expect(Math.abs((change.durationSeconds ?? 0) - 3)).toBeLessThanOrEqual(0.2);
    expect(plan.hls.rungs.map((rung) => rung.name)).toEqual(['720p', '540p', '360p']);
    const { directory, types } = await downloadOutputs(request.videoId);
    expect(types).toEqual(expectedKeys(plan, 1, 1));
    const master = readFileSync(join(directory, plan.hls.masterKey), 'utf8');
    for (const rung of plan.hls.rungs) {
      expect(master).toContain(`RESOLUTION=${rung.width}x${rung.height},CODECS="avc1.`);
      const streams = await probeStreams(rungPlaylist(directory, plan, rung));
      expect(streams).toEqual([
        expect.objectContaining({ codec_type: 'video', width: rung.width, height: rung.height }),
      ]);
      expect(await keyframeTimes(rungPlaylist(directory, plan, rung))).toEqual([0, 2]);
    }
    expect(master).not.toContain('mp4a');
    expect((await probeStreams(join(directory, plan.mp4.key))).map((stream) => stream.codec_type)).toEqual(['video']);
  });

  it('turns a phone’s portrait recording upright, at the plan’s portrait sizes', async () => {
    // Prepare: a 640×360 picture the container asks to show turned by 90°, so 360×640.
    const source = await makeClip({ width: 640, height: 360, seconds: 2, audio: false, rotate: 90 });
    const request = await newUpload(source, { width: 360, height: 640, durationSeconds: 2, hasAudio: false });
    const { plan } = request;
    const { transcoder, events } = newTranscoder();

    // Act
    await transcoder.submit(request);
    await transcoder.idle();

    // Assess: the pixels stored upright, as a player shows the source, with no rotation left for
    // a player to apply again.
    expect(durationOf(events[0]).status).toBe('COMPLETE');
    const { directory } = await downloadOutputs(request.videoId);
    const sourcePath = join(newDirectory('source'), 'source.mp4');
    writeFileSync(sourcePath, source);
    const shown = await firstFrameSketch(sourcePath, true);
    expect(meanDifference(await firstFrameSketch(sourcePath, false), shown)).toBeGreaterThan(20);
    const [rung] = plan.hls.rungs as [VideoRung];
    expect(rung).toMatchObject({ width: 360, height: 640 });
    for (const path of [rungPlaylist(directory, plan, rung), join(directory, plan.mp4.key)]) {
      const [video] = await probeStreams(path);
      expect(video).toMatchObject({ width: 360, height: 640 });
      expect(video?.side_data_list ?? []).toEqual([]);
      expect(meanDifference(await firstFrameSketch(path, false), shown)).toBeLessThan(8);
    }
  });
});
