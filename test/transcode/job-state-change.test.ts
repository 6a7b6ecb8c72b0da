import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import Redis from 'ioredis';
import type { SourceInfo } from '../../lambda/core/source-info';
import { CLAIM_STALE_SECONDS, clientTokenFor, type PipelineOutcome } from '../../lambda/core/transcoding';
import { videoCacheKey } from '../../lambda/core/video-cache';
import type { WebhookEvent } from '../../lambda/core/webhook-event';
import { PIPELINE_ENV } from '../../lambda/transcode/environment';
import type { JobStatus } from '../../lambda/transcode/job-state-event';
import { buildJobStateEvent } from '../../lambda/transcode/job-state-event-builder';
import type { LocalQueue } from '../../local/harness/local-servers';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { TEST_MEDIACONVERT } from '../support/mediaconvert-origin';
import { cacheClient, catalogOf, processingVideo } from '../support/videos';
import { messagesIn, receiveAll } from './support';

/**
 * The target of the rule on MediaConvert's job state changes (lambda/transcode/job-state-change.ts)
 * against dynalite, redis-server, s3rver and fauxqs (the webhook queue), with the API's own
 * handlers reading what it wrote.
 */

type Handler = (event: unknown) => Promise<PipelineOutcome | undefined>;

const OWNER = 'jonas';
const HD_SOURCE: SourceInfo = { width: 1920, height: 1080, durationSeconds: 12.4, hasAudio: true };

let api: ApiHarness;
let handler: Handler;
let webhooks: LocalQueue;
let cache: Redis;
/** The Valkey connections the handler module opened, closed at the end. */
let handlerConnections: Redis[] = [];
/** Every webhook event published so far, in order. */
const published: { event: WebhookEvent; type: string | undefined }[] = [];

beforeAll(async () => {
  api = await startApiHarness();
  webhooks = await api.servers.createQueue('webhooks');
  process.env[PIPELINE_ENV.webhookQueueUrl] = webhooks.url;
  const connect = jest.spyOn(Redis.prototype, 'connect');
  try {
    handler = (await import('../../lambda/transcode/job-state-change')).handler;
    handlerConnections = connect.mock.contexts as Redis[];
  } finally {
    connect.mockRestore();
  }
  cache = cacheClient(api);
});

afterAll(async () => {
  for (const connection of handlerConnections) connection.disconnect();
  cache.disconnect();
  await api.stop();
});

interface ClaimedVideo {
  readonly id: string;
  readonly uploadId: string;
  readonly jobId: string;
}

/** A PROCESSING video whose job was started: the claim and the job id are on its record. */
async function claimedVideo(source: SourceInfo = HD_SOURCE): Promise<ClaimedVideo> {
  const catalog = catalogOf(api);
  const id = await processingVideo(api, OWNER);
  const record = await catalog.get(id);
  if (!record) throw new Error(`no record for ${id}`);
  const { uploadId } = record.upload;
  const claim = {
    uploadId,
    clientToken: clientTokenFor(id, uploadId),
    claimedAt: new Date().toISOString(),
    source,
  };
  await catalog.claimTranscode(id, claim, new Date(Date.now() - CLAIM_STALE_SECONDS * 1000).toISOString());
  const jobId = `${Date.now()}-${randomBytes(3).toString('hex')}`;
  await catalog.recordTranscodeJob(id, { ...claim, jobId });
  return { id, uploadId, jobId };
}

interface EventOptions {
  readonly jobId?: string;
  readonly userMetadata?: Record<string, string> | null;
  readonly durationMs?: number;
  readonly errorCode?: number;
  readonly errorMessage?: string;
}

/** The event EventBridge delivers for a MediaConvert job of `video` reaching `status`. */
function jobEvent(status: JobStatus, video: ClaimedVideo, options: EventOptions = {}) {
  const jobId = options.jobId ?? video.jobId;
  const durationInMs = options.durationMs ?? 12_500;
  const output = (width: number, height: number) => ({
    outputFilePaths: [`s3://media-bucket/v/${video.id}/hls/master_${height}p.m3u8`],
    durationInMs,
    videoDetails: { widthInPx: width, heightInPx: height, averageBitrate: 1_000_000 },
  });
  return buildJobStateEvent(TEST_MEDIACONVERT, {
    jobId,
    status,
    ...(options.userMetadata === null
      ? {}
      : { userMetadata: options.userMetadata ?? { videoId: video.id, uploadId: video.uploadId } }),
    ...(status === 'COMPLETE'
      ? {
          outputGroupDetails: [
            {
              type: 'HLS_GROUP',
              playlistFilePaths: [`s3://media-bucket/v/${video.id}/hls/master.m3u8`],
              outputDetails: [output(1920, 1080), output(1280, 720), output(960, 540), output(640, 360)],
            },
            { type: 'FILE_GROUP', outputDetails: [output(960, 540)] },
            {
              type: 'FILE_GROUP',
              outputDetails: [{ outputFilePaths: [], videoDetails: { widthInPx: 640, heightInPx: 360 } }],
            },
          ],
        }
      : {}),
    ...(options.errorCode === undefined ? {} : { errorCode: options.errorCode }),
    ...(options.errorMessage === undefined ? {} : { errorMessage: options.errorMessage }),
  });
}

/** Moves what the webhook queue holds into `published` (and off the queue); returns the events of `id`. */
async function webhooksOf(id: string): Promise<{ event: WebhookEvent; type: string | undefined }[]> {
  const messages = await receiveAll(api.servers.sqs, webhooks.url);
  if (messages.length > 0)
    await api.servers.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: webhooks.url,
        Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
      }),
    );
  for (const message of messages)
    published.push({ event: JSON.parse(message.Body ?? ''), type: message.MessageAttributes?.type?.StringValue });
  return published.filter(({ event }) => event.data.video.id === id);
}

const recordOf = (id: string) => catalogOf(api).get(id);
const cachedRecordOf = async (id: string) => {
  const value = await cache.get(videoCacheKey(id));
  return value === null ? undefined : JSON.parse(value);
};

async function mediaKeys(prefix: string): Promise<string[]> {
  const { Contents = [] } = await api.servers.s3.send(
    new ListObjectsV2Command({ Bucket: api.servers.mediaBucket, Prefix: prefix }),
  );
  return Contents.map((object) => object.Key ?? '').sort();
}

describe('a transcoding job reaching its final state', () => {
  it('moves the video to READY with its outputs, refreshes the cache, plays, and announces video.ready once', async () => {
    // Prepare
    const video = await claimedVideo();
    expect((await api.call('getVideo', { id: video.id })).body.video.status).toBe('PROCESSING');
    expect((await cachedRecordOf(video.id))?.status).toBe('PROCESSING');

    // Act
    const outcome = await handler(jobEvent('COMPLETE', video));

    // Assess
    expect(outcome).toEqual({ result: 'updated', videoId: video.id, status: 'READY' });
    const renditions = [
      { width: 1920, height: 1080, bitrateKbps: 5000 },
      { width: 1280, height: 720, bitrateKbps: 3000 },
      { width: 960, height: 540, bitrateKbps: 1800 },
      { width: 640, height: 360, bitrateKbps: 800 },
    ];
    const outputs = {
      hls: `v/${video.id}/hls/master.m3u8`,
      mp4: `v/${video.id}/mp4/540p.mp4`,
      thumbnail: `v/${video.id}/thumbs/thumb.0000001.jpg`,
    };
    expect(await recordOf(video.id)).toEqual(
      expect.objectContaining({ status: 'READY', durationSeconds: 12.5, renditions, outputs }),
    );
    expect(await cachedRecordOf(video.id)).toEqual(
      expect.objectContaining({ status: 'READY', durationSeconds: 12.5, renditions, outputs }),
    );
    const read = await api.call('getVideo', { id: video.id });
    expect(read.status).toBe(200);
    expect(read.body.video).toEqual(
      expect.objectContaining({ id: video.id, status: 'READY', durationSeconds: 12.5, renditions }),
    );
    const playback = await api.call('getPlayback', { id: video.id });
    expect(playback.status).toBe(200);
    expect(playback.body.hls).toMatch(new RegExp(`/${outputs.hls}$`));
    expect(playback.body.mp4).toMatch(new RegExp(`/${outputs.mp4}$`));
    expect(playback.body.thumbnail).toMatch(new RegExp(`/${outputs.thumbnail}$`));
    const announced = await webhooksOf(video.id);
    expect(announced).toHaveLength(1);
    const [{ event, type }] = announced as [(typeof announced)[number]];
    expect(type).toBe('video.ready');
    expect(event).toEqual({
      id: expect.stringMatching(/^evt_/),
      type: 'video.ready',
      createdAt: read.body.video.updatedAt,
      data: { video: read.body.video },
    });
  });

  it('announces a repeated COMPLETE again with the same event id, and changes nothing', async () => {
    // Prepare
    const video = await claimedVideo();
    await handler(jobEvent('COMPLETE', video));
    const first = await recordOf(video.id);

    // Act
    const outcome = await handler(jobEvent('COMPLETE', video));

    // Assess
    expect(outcome).toEqual({ result: 'repeated', videoId: video.id, status: 'READY' });
    expect(await recordOf(video.id)).toEqual(first);
    const announced = await webhooksOf(video.id);
    expect(announced.map(({ event }) => event.type)).toEqual(['video.ready', 'video.ready']);
    expect(announced[1]?.event).toEqual(announced[0]?.event);
  });

  it('keeps a READY video READY when an ERROR follows, and announces no failure', async () => {
    // Prepare
    const video = await claimedVideo();
    await handler(jobEvent('COMPLETE', video));
    const ready = await recordOf(video.id);

    // Act
    const outcome = await handler(jobEvent('ERROR', video, { errorCode: 1010, errorMessage: 'late' }));

    // Assess
    expect(outcome?.result).toBe('dropped');
    expect(await recordOf(video.id)).toEqual(ready);
    expect((await webhooksOf(video.id)).map(({ event }) => event.type)).toEqual(['video.ready']);
  });

  it('keeps a FAILED video FAILED when a COMPLETE follows, and announces nothing more', async () => {
    // Prepare
    const video = await claimedVideo();
    await handler(jobEvent('ERROR', video, { errorCode: 1010, errorMessage: 'Unsupported codec' }));
    const failed = await recordOf(video.id);

    // Act
    const outcome = await handler(jobEvent('COMPLETE', video));

    // Assess
    expect(outcome?.result).toBe('dropped');
    expect(await recordOf(video.id)).toEqual(failed);
    expect((await webhooksOf(video.id)).map(({ event }) => event.type)).toEqual(['video.failed']);
  });

  it('moves the video to FAILED with a readable reason that names no bucket or key, and announces video.failed once', async () => {
    // Prepare
    const video = await claimedVideo();
    const errorMessage = `Failed to open input file [s3://${api.servers.uploadBucket}/uploads/${video.id}/source]: Failed probe/open: [No parser found for container format].`;

    // Act
    const outcome = await handler(jobEvent('ERROR', video, { errorCode: 1010, errorMessage }));

    // Assess
    expect(outcome).toEqual({ result: 'updated', videoId: video.id, status: 'FAILED' });
    const read = await api.call('getVideo', { id: video.id });
    expect(read.body.video.status).toBe('FAILED');
    const { error } = read.body.video;
    expect(error.code).toBe('TRANSCODE_FAILED');
    expect(error.message).toContain('error 1010');
    expect(error.message).toContain('No parser found for container format');
    expect(error.message).not.toContain('s3://');
    expect(error.message).not.toContain(api.servers.uploadBucket);
    expect(error.message).not.toContain(video.id);
    expect((await cachedRecordOf(video.id))?.status).toBe('FAILED');
    expect((await api.call('getPlayback', { id: video.id })).status).toBe(409);
    const announced = await webhooksOf(video.id);
    expect(announced).toHaveLength(1);
    expect(announced[0]?.type).toBe('video.failed');
    expect(announced[0]?.event.data.video).toEqual(read.body.video);
  });

  it('fails a canceled job with a reason saying so', async () => {
    // Prepare
    const video = await claimedVideo();

    // Act
    await handler(jobEvent('CANCELED', video));

    // Assess
    expect((await recordOf(video.id))?.error).toEqual({
      code: 'TRANSCODE_FAILED',
      message: 'The transcoding job was canceled.',
    });
    expect((await webhooksOf(video.id)).map(({ event }) => event.type)).toEqual(['video.failed']);
  });

  it('drops an event of another job, or of another upload, and leaves the video as it was', async () => {
    // Prepare
    const video = await claimedVideo();
    const before = await recordOf(video.id);

    // Act
    const otherJob = await handler(jobEvent('COMPLETE', video, { jobId: `${video.jobId}-other` }));
    const otherUpload = await handler(
      jobEvent('ERROR', video, { userMetadata: { videoId: video.id, uploadId: 'another-upload' } }),
    );

    // Assess
    expect(otherJob?.result).toBe('dropped');
    expect(otherUpload?.result).toBe('dropped');
    expect(await recordOf(video.id)).toEqual(before);
    expect(await webhooksOf(video.id)).toEqual([]);
  });

  it('ignores progress and status updates, events of jobs without our metadata, and events that are not job state changes', async () => {
    // Prepare
    const video = await claimedVideo();
    const before = await recordOf(video.id);

    // Act
    const outcomes = [
      await handler(jobEvent('PROGRESSING', video)),
      await handler(jobEvent('STATUS_UPDATE', video)),
      await handler(jobEvent('SUBMITTED', video)),
      await handler(jobEvent('COMPLETE', video, { userMetadata: null })),
      await handler({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }),
      await handler(undefined),
    ];

    // Assess
    expect(outcomes.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(outcomes[3]?.result).toBe('dropped');
    expect(outcomes.slice(4)).toEqual([undefined, undefined]);
    expect(await recordOf(video.id)).toEqual(before);
    expect(await webhooksOf(video.id)).toEqual([]);
  });

  it('removes the outputs a job wrote for a video deleted while it was processing', async () => {
    // Prepare
    const video = await claimedVideo();
    const neighbour = await claimedVideo();
    expect((await api.call('deleteVideo', { as: OWNER, id: video.id })).status).toBe(204);
    const late = [
      `v/${video.id}/hls/master.m3u8`,
      `v/${video.id}/hls/master_360p_00001.ts`,
      `v/${video.id}/mp4/540p.mp4`,
      `v/${video.id}/thumbs/thumb.0000000.jpg`,
    ];
    const kept = [`v/${neighbour.id}/hls/master.m3u8`, `v/${video.id}x/hls/master.m3u8`];
    for (const key of [...late, ...kept])
      await api.servers.s3.send(new PutObjectCommand({ Bucket: api.servers.mediaBucket, Key: key, Body: 'output' }));

    // Act
    const outcome = await handler(jobEvent('COMPLETE', video));

    // Assess
    expect(outcome).toEqual(expect.objectContaining({ result: 'dropped', videoId: video.id }));
    expect(await mediaKeys(`v/${video.id}/`)).toEqual([]);
    expect(await mediaKeys(`v/${neighbour.id}/`)).toEqual([kept[0]]);
    expect(await mediaKeys(`v/${video.id}x/`)).toEqual([kept[1]]);
    expect(await recordOf(video.id)).toBeUndefined();
    expect(await webhooksOf(video.id)).toEqual([]);
  });

  it('still moves the video to READY and announces it while the cache is down', async () => {
    // Prepare
    const video = await claimedVideo();
    await api.call('getVideo', { id: video.id });
    await api.servers.redis.stop();

    // Act
    let outcome: PipelineOutcome | undefined;
    try {
      outcome = await handler(jobEvent('COMPLETE', video));
    } finally {
      await api.servers.redis.start();
    }

    // Assess
    expect(outcome).toEqual({ result: 'updated', videoId: video.id, status: 'READY' });
    expect((await recordOf(video.id))?.status).toBe('READY');
    expect((await webhooksOf(video.id)).map(({ event }) => event.type)).toEqual(['video.ready']);
    const read = await api.call('getVideo', { id: video.id });
    expect(read.body.video.status).toBe('READY');
    expect(await messagesIn(api.servers.sqs, webhooks.deadLetterUrl)).toBe(0);
  });
});
