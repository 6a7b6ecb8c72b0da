import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { TranscodeRequest } from '../../../lambda/core/ports';
import { DEFAULT_LADDER, type LadderSpec, planTranscode } from '../../../lambda/core/rendition-ladder';
import type { SourceInfo } from '../../../lambda/core/source-info';
import { clientTokenFor } from '../../../lambda/core/transcoding';
import { mediaPrefix, sourceKey } from '../../../lambda/core/upload-plan';
import { type MediaConvertJobStateEvent, parseJobStateEvent } from '../../../lambda/transcode/job-state-event';
import { type ClipOptions, makeClip } from '../../../local/harness/clips';
import { type LocalServers, startLocalServers } from '../../../local/harness/local-servers';
import { FfmpegTranscoder } from '../../../local/transcoder/ffmpeg-transcoder';
import { scratchDirectories } from '../../support/scratch';

/**
 * What the transcoder's test files share: local servers started before a file's tests and stopped
 * after them, transcoders on them, and sources uploaded as the upload consumer does.
 */
export function transcoderFixture() {
  let servers: LocalServers;
  const scratch = scratchDirectories();

  beforeAll(async () => {
    servers = await startLocalServers();
  });
  afterAll(async () => {
    await servers.stop();
    scratch.removeAll();
  });

  const newDirectory = scratch.make;

  /** A transcoder on the test servers, with the events and errors it reports and its own work directory. */
  function newTranscoder() {
    const events: MediaConvertJobStateEvent[] = [];
    const errors: unknown[] = [];
    const workDirectory = newDirectory('work');
    const transcoder = new FfmpegTranscoder({
      s3: servers.s3,
      uploadBucket: servers.uploadBucket,
      mediaBucket: servers.mediaBucket,
      workDirectory,
      onJobEvent: async (event) => {
        events.push(event);
      },
      onError: (error) => errors.push(error),
    });
    return { transcoder, events, errors, workDirectory };
  }

  let videoNumber = 0;

  /** Uploads `source` as a new video's source and builds its request as the upload consumer does. */
  async function newUpload(
    source: Buffer,
    info: SourceInfo,
    ladder: LadderSpec = DEFAULT_LADDER,
  ): Promise<TranscodeRequest> {
    const videoId = `video-${++videoNumber}-${randomBytes(3).toString('hex')}`;
    const uploadId = `upload-${videoNumber}`;
    await servers.s3.send(
      new PutObjectCommand({ Bucket: servers.uploadBucket, Key: sourceKey(videoId), Body: source }),
    );
    return {
      videoId,
      uploadId,
      sourceKey: sourceKey(videoId),
      plan: planTranscode(videoId, info, ladder),
      clientToken: clientTokenFor(videoId, uploadId),
    };
  }

  const clipUpload = async (clip: ClipOptions, info: Partial<SourceInfo> = {}, ladder?: LadderSpec) =>
    newUpload(
      await makeClip(clip),
      {
        width: clip.width,
        height: clip.height,
        durationSeconds: clip.seconds ?? 1,
        hasAudio: clip.audio ?? true,
        ...info,
      },
      ladder,
    );

  /** The keys under the video's media prefix. */
  async function keysUnder(videoId: string): Promise<string[]> {
    const listing = await servers.s3.send(
      new ListObjectsV2Command({ Bucket: servers.mediaBucket, Prefix: mediaPrefix(videoId) }),
    );
    return (listing.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
  }

  return { servers: () => servers, newDirectory, newTranscoder, newUpload, clipUpload, keysUnder };
}

/** The job-state change an event announces, as the pipeline's parser reads it. */
export const durationOf = (event: MediaConvertJobStateEvent | undefined) => {
  const parsed = parseJobStateEvent(event);
  if ('ignored' in parsed) throw new Error(parsed.ignored);
  return parsed.change;
};
