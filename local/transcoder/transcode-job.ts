import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { TranscodeRequest } from '../../lambda/core/ports';
import { hlsPlaylistKey, type TranscodePlan } from '../../lambda/core/rendition-ladder';
import type { MediaConvertOutputDetail, MediaConvertOutputGroupDetail } from '../../lambda/transcode/job-state-event';
import { ffmpegArgs } from './ffmpeg-args';
import { stderrSummary } from './ffmpeg-stderr';
import { checkOpen, JOB_ERROR_CODES, JobFailure, messageOf } from './job-errors';
import { type MediaInfo, probeMedia } from './media-probe';
import { contentTypeOf, type MatchedOutputs, matchOutputs, type OutputFile } from './output-files';
import { outputDirectories, outputLayout, relativeKey } from './output-layout';
import type { GuardedProcesses } from './process-group';

/**
 * One job's work, in its own directory (ffmpeg's working directory): download the source, probe
 * it, one ffmpeg run that decodes it once (see ./ffmpeg-args.ts), measure the outputs and upload
 * them, the master playlist last.
 */

/** What a job works with. */
export interface JobContext {
  readonly s3: S3Client;
  readonly uploadBucket: string;
  readonly mediaBucket: string;
  readonly processes: GuardedProcesses;
  /** Aborted when the transcoder is closed. */
  readonly stop: AbortSignal;
}

/** Files in a job's directory. */
const SOURCE_FILE = 'source';
const OUTPUT_DIRECTORY = 'out';
/** Concurrent uploads to the S3 server within one stage. */
const UPLOAD_CONCURRENCY = 4;

const isMissing = (error: unknown): boolean => {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'NoSuchKey' || name === 'NotFound' || $metadata?.httpStatusCode === 404;
};

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

/**
 * Transcodes the request's source in `directory` and uploads the outputs; answers the output
 * details of its COMPLETE event. Throws a `JobFailure` for what MediaConvert would report, a
 * `JobStopped` once the transcoder is closed.
 */
export async function transcodeJob(
  context: JobContext,
  request: TranscodeRequest,
  directory: string,
): Promise<MediaConvertOutputGroupDetail[]> {
  const { plan, sourceKey } = request;
  const layout = outputLayout(plan);
  await download(context, sourceKey, join(directory, SOURCE_FILE));
  const source = await probeSource(context.processes, directory);

  const outputs = join(directory, OUTPUT_DIRECTORY);
  for (const name of outputDirectories(layout)) await mkdir(join(outputs, name), { recursive: true });
  const args = ffmpegArgs(plan, {
    input: SOURCE_FILE,
    outputDirectory: OUTPUT_DIRECTORY,
    sourceHasAudio: source.hasAudio,
  });
  const result = await context.processes.run('ffmpeg', args, directory);
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
  const details = await measure(context, plan, outputs, matched);
  checkWhole(source, details, result.stderr);
  for (const stage of matched.stages) await upload(context, outputs, stage);
  return details;
}

/** Streams the source to a file: it may be many GiB. */
async function download(context: JobContext, key: string, path: string): Promise<void> {
  const signal = context.stop;
  try {
    const { Body } = await context.s3.send(new GetObjectCommand({ Bucket: context.uploadBucket, Key: key }), {
      abortSignal: signal,
    });
    if (!(Body instanceof Readable)) throw new Error('the S3 server sent no body');
    await pipeline(Body, createWriteStream(path), { signal });
  } catch (error) {
    checkOpen(signal);
    throw new JobFailure(
      JOB_ERROR_CODES.inputUnreadable,
      isMissing(error)
        ? 'Unable to open input file: the source object does not exist'
        : `Unable to open input file: ${messageOf(error)}`,
    );
  }
}

/** What the source holds, or a 1010 failure in ffprobe's words when it is not a video. */
async function probeSource(processes: GuardedProcesses, directory: string): Promise<MediaInfo> {
  const probed = await probeMedia(processes, SOURCE_FILE, directory);
  if ('error' in probed)
    throw new JobFailure(
      JOB_ERROR_CODES.inputUnreadable,
      `Unable to open input file: ${probed.error.split(`${SOURCE_FILE}: `).join('') || 'ffprobe cannot read it'}`,
    );
  if (!probed.hasVideo)
    throw new JobFailure(JOB_ERROR_CODES.inputUnreadable, 'Unable to open input file: it has no video track');
  return probed;
}

/** The event's output details, measured from the files (as MediaConvert reports what it wrote). */
async function measure(
  context: JobContext,
  plan: TranscodePlan,
  outputs: string,
  matched: MatchedOutputs,
): Promise<MediaConvertOutputGroupDetail[]> {
  const uri = (key: string) => `s3://${context.mediaBucket}/${key}`;
  const detailOf = async (key: string, withDuration: boolean): Promise<MediaConvertOutputDetail> => {
    const probed = await probeMedia(context.processes, relativeKey(plan.videoId, key), outputs);
    if ('error' in probed) throw new Error(`cannot read the output ${relativeKey(plan.videoId, key)}: ${probed.error}`);
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

async function upload(context: JobContext, outputs: string, files: readonly OutputFile[]): Promise<void> {
  await forEachLimited(files, UPLOAD_CONCURRENCY, async ({ file, key }) => {
    checkOpen(context.stop);
    const path = join(outputs, file);
    const { size } = await stat(path);
    await context.s3.send(
      new PutObjectCommand({
        Bucket: context.mediaBucket,
        Key: key,
        Body: createReadStream(path),
        ContentLength: size,
        ContentType: contentTypeOf(file),
      }),
      { abortSignal: context.stop },
    );
  });
}
