import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CompleteMultipartUploadCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { CLAIM_STALE_SECONDS, clientTokenFor, UNPROBED_SOURCE } from '../../lambda/core/transcoding';
import { PIPELINE_ENV } from '../../lambda/transcode/environment';
import { makeClip, NOT_A_VIDEO } from '../../local/harness/clips';
import type { LocalQueue } from '../../local/harness/local-servers';
import { SqsEventSource } from '../../local/sqs-event-source';
import { type ApiHarness, startApiHarness, uploadParts } from '../support/api-harness';
import { logLinesDuring } from '../support/log-lines';
import {
  type CreatedJob,
  type MediaConvertEndpoint,
  startMediaConvertEndpoint,
} from '../support/mediaconvert-endpoint';
import { sqsRecord } from '../support/sqs-records';
import { catalogOf, createVideo, markReady } from '../support/videos';
import { messagesIn, s3Notification, send, sleep } from './support';

/**
 * The upload queue's consumer (lambda/transcode/submit-jobs.ts), as Lambda runs it: S3-shaped
 * notifications on a real SQS-compatible queue, handed over by the event source mapping's twin,
 * against dynalite, s3rver (the real uploaded clip, probed by Range reads) and a local
 * MediaConvert endpoint that, unlike MediaConvert, never deduplicates: every job counted is one
 * our own claim let through.
 */

type Handler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** One Lambda container: the handler module loaded on its own, and its metrics. */
interface Container {
  readonly handler: Handler;
  readonly addMetric: jest.SpyInstance;
}

const ROLE_ARN = 'arn:aws:iam::123456789012:role/vod-mediaconvert';
const QUEUE_ARN = 'arn:aws:mediaconvert:eu-west-1:123456789012:queues/vod';
/** What the queue redelivers after, here: a failed message is back a second later. */
const VISIBILITY_SECONDS = 1;
const MAX_RECEIVES = 3;
const OWNER = 'uma';

let api: ApiHarness;
let mediaconvert: MediaConvertEndpoint;
let container: Container;
let otherContainer: Container;
let clip: Buffer;
let queues = 0;

/** Loads the handler module as a new container would: its own SDK clients, its own batch processor. */
async function loadContainer(): Promise<Container> {
  let loaded: Container | undefined;
  await jest.isolateModulesAsync(async () => {
    const { Metrics } = await import('@aws-lambda-powertools/metrics');
    const addMetric = jest.spyOn(Metrics.prototype, 'addMetric');
    const { handler } = await import('../../lambda/transcode/submit-jobs');
    loaded = { handler, addMetric };
  });
  if (!loaded) throw new Error('the submit handler did not load');
  return loaded;
}

beforeAll(async () => {
  mediaconvert = await startMediaConvertEndpoint();
  [api, clip] = await Promise.all([startApiHarness(), makeClip({ width: 640, height: 360, seconds: 2 })]);
  Object.assign(process.env, {
    [PIPELINE_ENV.mediaConvertRoleArn]: ROLE_ARN,
    [PIPELINE_ENV.mediaConvertQueueArn]: QUEUE_ARN,
    AWS_ENDPOINT_URL_MEDIACONVERT: mediaconvert.url,
  });
  container = await loadContainer();
  otherContainer = await loadContainer();
});

afterAll(async () => {
  await api.stop();
  await mediaconvert.close();
});

beforeEach(() => mediaconvert.recover());

const sqs = () => api.servers.sqs;
const uploadBucket = () => api.servers.uploadBucket;

/** A fresh upload queue with its dead-letter queue, as the stack wires it (short timeouts here). */
async function newQueue(): Promise<LocalQueue> {
  queues += 1;
  return api.servers.createQueue(`upload-events-${queues}`, {
    visibilityTimeoutSeconds: VISIBILITY_SECONDS,
    maxReceiveCount: MAX_RECEIVES,
  });
}

/** The event source mapping over `queue`, invoking `handler`. */
const mappingOf = (queue: LocalQueue, handler: Handler = container.handler) =>
  new SqsEventSource({ client: sqs(), queueUrl: queue.url, handler });

/** Polls until `queue` is empty (handled or dead-lettered), waiting out visibility timeouts. */
async function drain(queue: LocalQueue, handler: Handler = container.handler): Promise<void> {
  const mapping = mappingOf(queue, handler);
  const deadline = Date.now() + 15_000;
  while ((await messagesIn(sqs(), queue.url)) > 0) {
    if (Date.now() > deadline) throw new Error(`the queue ${queue.url} did not drain`);
    if ((await mapping.pollOnce()) === 0) await sleep(200);
  }
}

/** Waits until failed messages are visible again. */
const redeliveryDelay = () => sleep(VISIBILITY_SECONDS * 1000 + 200);

/** A video whose upload of `bytes` is done but not yet completed through the API: UPLOADING. */
async function uploadedVideo(bytes: Buffer = clip) {
  const created = await createVideo(api, OWNER, { sizeBytes: bytes.length, fileName: 'clip.mp4' });
  const parts = await uploadParts(created.upload.parts, created.upload.partSize, bytes);
  const id = created.video.id;
  return { id, uploadId: created.upload.uploadId, key: `uploads/${id}/source`, parts, size: bytes.length };
}

async function complete(video: Awaited<ReturnType<typeof uploadedVideo>>): Promise<void> {
  const response = await api.call('completeUpload', { as: OWNER, id: video.id, body: { parts: video.parts } });
  if (response.status !== 202) throw new Error(`completeUpload: ${response.status} ${JSON.stringify(response.body)}`);
}

/** A video whose upload of `bytes` was completed through the API: PROCESSING. */
async function processingVideo(bytes: Buffer = clip) {
  const video = await uploadedVideo(bytes);
  await complete(video);
  return video;
}

const notificationOf = (video: { key: string; size: number }) => s3Notification(uploadBucket(), video.key, video.size);
const jobsOf = (videoId: string) => mediaconvert.jobs.filter((job) => job.request?.userMetadata?.videoId === videoId);
const requestsOf = (videoId: string) =>
  mediaconvert.requests.filter((request) => request.body?.userMetadata?.videoId === videoId);
const recordOf = async (id: string) => catalogOf(api).get(id);
const size = (output: any) => `${output.videoDescription.width}x${output.videoDescription.height}`;

/** The SQS event Lambda builds for one message. */
function sqsEvent(body: string, messageId = 'message-1'): SQSEvent {
  return { Records: [sqsRecord({ messageId, body, queue: 'upload-events' })] };
}

/** Writes a claim on the record as another submitter would have, straight into the table. */
async function writeClaim(id: string, uploadId: string, claimedAt: Date): Promise<void> {
  await api.servers.dynamodb.send(
    new UpdateItemCommand({
      TableName: api.servers.tableName,
      Key: marshall({ id }),
      UpdateExpression: 'SET #transcode = :claim',
      ExpressionAttributeNames: { '#transcode': 'transcode' },
      ExpressionAttributeValues: marshall({
        ':claim': {
          uploadId,
          clientToken: clientTokenFor(id, uploadId),
          claimedAt: claimedAt.toISOString(),
          source: { width: 640, height: 360, durationSeconds: 2, hasAudio: true },
        },
      }),
    }),
  );
}

/** Back-dates the claim on the record, as time passing would. */
async function ageClaim(id: string, claimedAt: Date): Promise<void> {
  await api.servers.dynamodb.send(
    new UpdateItemCommand({
      TableName: api.servers.tableName,
      Key: marshall({ id }),
      UpdateExpression: 'SET #transcode.#claimedAt = :claimedAt',
      ExpressionAttributeNames: { '#transcode': 'transcode', '#claimedAt': 'claimedAt' },
      ExpressionAttributeValues: marshall({ ':claimedAt': claimedAt.toISOString() }),
    }),
  );
}

describe('submitting transcoding jobs from upload notifications', () => {
  it('turns a finished upload into exactly one MediaConvert job, planned from the probed source', async () => {
    // Prepare
    const video = await processingVideo();
    const queue = await newQueue();
    await send(sqs(), queue.url, notificationOf(video));

    // Act
    const received = await mappingOf(queue).pollOnce();

    // Assess
    expect(received).toBe(1);
    const jobs = jobsOf(video.id);
    expect(jobs).toHaveLength(1);
    const [{ id: jobId, request: job }] = jobs as [(typeof jobs)[number]];
    expect(job.role).toBe(ROLE_ARN);
    expect(job.queue).toBe(QUEUE_ARN);
    expect(job.clientRequestToken).toBe(clientTokenFor(video.id, video.uploadId));
    expect(job.userMetadata).toEqual({ videoId: video.id, uploadId: video.uploadId });
    const [input] = job.settings.inputs;
    expect(input.fileInput).toBe(`s3://${uploadBucket()}/${video.key}`);
    expect(input.audioSelectors).toBeDefined();
    const [hls, mp4, thumbs] = job.settings.outputGroups;
    // A 640×360 source: one 360p rung, nothing upscaled.
    expect(hls.outputs.map((output: any) => `${output.nameModifier} ${size(output)}`)).toEqual(['_360p 640x360']);
    expect(mp4.outputs.map(size)).toEqual(['640x360']);
    expect(thumbs.outputs.map(size)).toEqual(['640x360']);
    for (const output of [...hls.outputs, ...mp4.outputs]) expect(output.audioDescriptions).toHaveLength(1);
    const record = await recordOf(video.id);
    expect(record?.status).toBe('PROCESSING');
    expect(record?.transcode).toEqual({
      uploadId: video.uploadId,
      clientToken: clientTokenFor(video.id, video.uploadId),
      claimedAt: expect.any(String),
      source: { width: 640, height: 360, durationSeconds: expect.closeTo(2, 1), hasAudio: true },
      jobId,
    });
    expect(await messagesIn(sqs(), queue.url)).toBe(0);
    expect(await messagesIn(sqs(), queue.deadLetterUrl)).toBe(0);
  });

  it('starts one job for a notification sent twice and delivered again later', async () => {
    // Prepare
    const video = await processingVideo();
    const queue = await newQueue();
    await send(sqs(), queue.url, notificationOf(video));
    await send(sqs(), queue.url, notificationOf(video));

    // Act
    await drain(queue);
    await send(sqs(), queue.url, notificationOf(video));
    await drain(queue);

    // Assess
    const jobs = jobsOf(video.id);
    expect(jobs).toHaveLength(1);
    expect(requestsOf(video.id)).toHaveLength(1);
    expect((await recordOf(video.id))?.transcode?.jobId).toBe(jobs[0]?.id);
    expect(await messagesIn(sqs(), queue.deadLetterUrl)).toBe(0);
  });

  it('starts one job when two containers handle the same delivery at the same time', async () => {
    // Prepare
    const video = await processingVideo();
    const event = sqsEvent(notificationOf(video));

    // Act
    const responses = await Promise.all([container.handler(event), otherContainer.handler(event)]);

    // Assess
    const jobs = jobsOf(video.id);
    expect(jobs).toHaveLength(1);
    // The loser either saw the job already recorded (dropped) or the claim alone (retried later).
    expect(responses.flatMap((response) => response.batchItemFailures).length).toBeLessThanOrEqual(1);
    expect((await recordOf(video.id))?.transcode?.jobId).toBe(jobs[0]?.id);
    const retried = await otherContainer.handler(event);
    expect(retried.batchItemFailures).toEqual([]);
    expect(jobsOf(video.id)).toHaveLength(1);
  });

  /** An upload whose notification is on the queue before the API marked it complete, and the mapping that reads it. */
  async function notifiedBeforeComplete() {
    const video = await uploadedVideo();
    const queue = await newQueue();
    await send(sqs(), queue.url, notificationOf(video));
    const failures: unknown[] = [];
    const mapping = new SqsEventSource({
      client: sqs(),
      queueUrl: queue.url,
      handler: container.handler,
      onError: (error) => failures.push(error),
    });
    return { video, queue, failures, mapping };
  }

  it('leaves a notification that arrives before the upload is marked complete on the queue, and submits it once it is', async () => {
    // Prepare
    const { video, queue, failures, mapping } = await notifiedBeforeComplete();

    // Act
    const early = await mapping.pollOnce();
    const stateWhileUploading = await recordOf(video.id);
    await complete(video);
    await redeliveryDelay();
    const later = await mapping.pollOnce();

    // Assess
    expect([early, later]).toEqual([1, 1]);
    expect(failures).toHaveLength(1);
    expect(stateWhileUploading?.status).toBe('UPLOADING');
    expect(stateWhileUploading?.transcode).toBeUndefined();
    expect(jobsOf(video.id)).toHaveLength(1);
    expect((await recordOf(video.id))?.transcode?.jobId).toBe(jobsOf(video.id)[0]?.id);
    expect(await messagesIn(sqs(), queue.url)).toBe(0);
  });

  it('submits a notification that arrives a moment before the API marks the upload complete, without giving it back to the queue', async () => {
    // Prepare: S3 notifies as soon as the object exists, while the API is still recording it.
    const { video, queue, failures, mapping } = await notifiedBeforeComplete();

    // Act
    const [received] = await Promise.all([mapping.pollOnce(), sleep(300).then(() => complete(video))]);

    // Assess
    expect(received).toBe(1);
    expect(failures).toEqual([]);
    expect(jobsOf(video.id)).toHaveLength(1);
    expect(await messagesIn(sqs(), queue.url)).toBe(0);
  });

  it('drops what can never become a job: foreign keys, unknown videos, garbage, test events, other buckets', async () => {
    // Prepare
    const video = await processingVideo();
    const queue = await newQueue();
    const requestsBefore = mediaconvert.requests.length;
    const bodies = [
      s3Notification(uploadBucket(), `videos/${video.id}/source`, 10),
      s3Notification(uploadBucket(), `uploads/${video.id}/other`, 10),
      s3Notification(uploadBucket(), `uploads/${video.id}/source/extra`, 10),
      s3Notification(uploadBucket(), 'uploads/NoSuchVideo0123456789/source', 10),
      s3Notification(uploadBucket(), video.key, video.size, 'ObjectRemoved:Delete'),
      'not json {',
      JSON.stringify({
        Service: 'Amazon S3',
        Event: 's3:TestEvent',
        Time: new Date().toISOString(),
        Bucket: uploadBucket(),
        RequestId: 'EXAMPLE',
        HostId: 'EXAMPLE',
      }),
      s3Notification('someone-elses-bucket', video.key, video.size),
      JSON.stringify({ Records: 'not a list' }),
    ];
    for (const body of bodies) await send(sqs(), queue.url, body);
    const failures: unknown[] = [];
    const mapping = new SqsEventSource({
      client: sqs(),
      queueUrl: queue.url,
      handler: container.handler,
      onError: (error) => failures.push(error),
    });

    // Act
    let received = 0;
    for (let round = 0; round < 10 && received < bodies.length; round++) received += await mapping.pollOnce();
    await redeliveryDelay();

    // Assess
    expect(received).toBe(bodies.length);
    expect(failures).toEqual([]);
    expect(await messagesIn(sqs(), queue.url)).toBe(0);
    expect(await messagesIn(sqs(), queue.deadLetterUrl)).toBe(0);
    expect(mediaconvert.requests.length).toBe(requestsBefore);
    const record = await recordOf(video.id);
    expect(record?.status).toBe('PROCESSING');
    expect(record?.transcode).toBeUndefined();
  });

  it('drops a notification for a video that is already READY, or FAILED with its source in place', async () => {
    // Prepare
    const ready = await processingVideo();
    await markReady(api, ready.id);
    const aborted = await uploadedVideo();
    await api.servers.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: uploadBucket(),
        Key: aborted.key,
        UploadId: aborted.uploadId,
        MultipartUpload: { Parts: aborted.parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) },
      }),
    );
    expect((await api.call('abortUpload', { as: OWNER, id: aborted.id })).status).toBe(204);
    await api.servers.s3.send(new HeadObjectCommand({ Bucket: uploadBucket(), Key: aborted.key }));
    const queue = await newQueue();
    await send(sqs(), queue.url, notificationOf(ready));
    await send(sqs(), queue.url, notificationOf(aborted));

    // Act
    await drain(queue);

    // Assess
    expect(jobsOf(ready.id)).toEqual([]);
    expect(jobsOf(aborted.id)).toEqual([]);
    expect((await recordOf(ready.id))?.status).toBe('READY');
    expect((await recordOf(aborted.id))?.status).toBe('FAILED');
    expect(await messagesIn(sqs(), queue.deadLetterUrl)).toBe(0);
  });

  it('retries while MediaConvert fails, and once the failed claim is stale starts exactly one job', async () => {
    // Prepare
    const video = await processingVideo();
    const queue = await newQueue();
    await send(sqs(), queue.url, notificationOf(video));
    const mapping = mappingOf(queue);
    mediaconvert.failNext(Number.POSITIVE_INFINITY, 500);

    // Act
    await mapping.pollOnce();
    const afterFailure = await recordOf(video.id);
    const refused = requestsOf(video.id).length;
    mediaconvert.recover();
    await redeliveryDelay();
    await mapping.pollOnce();
    const requestsWhileClaimFresh = requestsOf(video.id).length;
    // What the queue's redelivery delay does in AWS: the claim of the failed attempt gets older than CLAIM_STALE_SECONDS.
    await ageClaim(video.id, new Date(Date.now() - (CLAIM_STALE_SECONDS + 1) * 1000));
    await redeliveryDelay();
    await mapping.pollOnce();

    // Assess
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(afterFailure?.transcode?.jobId).toBeUndefined();
    expect(afterFailure?.transcode?.uploadId).toBe(video.uploadId);
    expect(requestsWhileClaimFresh).toBe(refused);
    const jobs = jobsOf(video.id);
    expect(jobs).toHaveLength(1);
    expect(new Set(requestsOf(video.id).map((request) => request.body.clientRequestToken))).toEqual(
      new Set([clientTokenFor(video.id, video.uploadId)]),
    );
    expect((await recordOf(video.id))?.transcode?.jobId).toBe(jobs[0]?.id);
    expect(await messagesIn(sqs(), queue.url)).toBe(0);
    expect(await messagesIn(sqs(), queue.deadLetterUrl)).toBe(0);
  });

  it('parks a job MediaConvert refuses (400) in the dead-letter queue after the last receive, with no job recorded', async () => {
    // Prepare
    const video = await processingVideo();
    const queue = await newQueue();
    await send(sqs(), queue.url, notificationOf(video));
    mediaconvert.failNext(Number.POSITIVE_INFINITY, 400);

    // Act
    await drain(queue);

    // Assess
    expect(requestsOf(video.id).map((request) => request.status)).toEqual([400]);
    expect(jobsOf(video.id)).toEqual([]);
    expect(await messagesIn(sqs(), queue.deadLetterUrl)).toBe(1);
    const record = await recordOf(video.id);
    expect(record?.status).toBe('PROCESSING');
    expect(record?.transcode?.jobId).toBeUndefined();
  });

  it('takes over a stale claim that never got a job', async () => {
    // Prepare
    const video = await processingVideo();
    const staleAt = new Date(Date.now() - (CLAIM_STALE_SECONDS + 60) * 1000);
    await writeClaim(video.id, video.uploadId, staleAt);
    const queue = await newQueue();
    await send(sqs(), queue.url, notificationOf(video));

    // Act
    await mappingOf(queue).pollOnce();

    // Assess
    const jobs = jobsOf(video.id);
    expect(jobs).toHaveLength(1);
    const record = await recordOf(video.id);
    expect(record?.transcode?.jobId).toBe(jobs[0]?.id);
    expect(Date.parse(record?.transcode?.claimedAt ?? '')).toBeGreaterThan(staleAt.getTime() + 60_000);
    expect(await messagesIn(sqs(), queue.url)).toBe(0);
  });

  it('leaves a delivery on the queue while another one holds a fresh claim, and starts nothing', async () => {
    // Prepare
    const video = await processingVideo();
    await writeClaim(video.id, video.uploadId, new Date(Date.now() - 10_000));

    // Act
    const response = await container.handler(sqsEvent(notificationOf(video), 'fresh-claim'));

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'fresh-claim' }]);
    expect(requestsOf(video.id)).toEqual([]);
    expect((await recordOf(video.id))?.transcode?.jobId).toBeUndefined();
  });

  it('still submits a source that is not a video, planned as assumed, and counts it as unreadable', async () => {
    // Prepare
    const video = await processingVideo(NOT_A_VIDEO);
    const queue = await newQueue();
    await send(sqs(), queue.url, notificationOf(video));
    container.addMetric.mockClear();

    // Act
    await mappingOf(queue).pollOnce();

    // Assess
    const jobs = jobsOf(video.id);
    expect(jobs).toHaveLength(1);
    const [hls] = (jobs[0] as CreatedJob).request.settings.outputGroups;
    expect(hls.outputs.map(size)).toEqual(['1920x1080', '1280x720', '960x540', '640x360']);
    const record = await recordOf(video.id);
    expect(record?.transcode?.source).toEqual(UNPROBED_SOURCE);
    expect(record?.transcode?.jobId).toBe(jobs[0]?.id);
    expect(container.addMetric).toHaveBeenCalledWith('SourceUnreadable', MetricUnit.Count, 1);
    expect(container.addMetric).toHaveBeenCalledWith('JobSubmitted', MetricUnit.Count, 1);
    expect(await messagesIn(sqs(), queue.url)).toBe(0);
  });
});

describe('the logs of the upload consumer', () => {
  it('names the message, and the video, on every line it logs for a message, and on no line after it', async () => {
    // Prepare: a container that logs at INFO.
    const level = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    const logging = await loadContainer();
    process.env.POWERTOOLS_LOG_LEVEL = level;
    const video = await processingVideo();
    const unknownKey = 'uploads/vid_unknown000000000000000/source';

    // Act
    const lines = await logLinesDuring(async () => {
      await logging.handler(sqsEvent(notificationOf(video), 'message-submitted'));
      await logging.handler(sqsEvent(s3Notification(uploadBucket(), unknownKey, 10), 'message-unknown'));
      await logging.handler(sqsEvent('not json', 'message-garbage'));
    });

    // Assess
    const submitted = lines.find((line) => line.message === 'job submitted');
    expect(submitted).toMatchObject({ messageId: 'message-submitted', videoId: video.id });
    const dropped = lines.filter((line) => line.message === 'message dropped');
    expect(dropped).toEqual([
      expect.objectContaining({ messageId: 'message-unknown', videoId: 'vid_unknown000000000000000' }),
      expect.objectContaining({ messageId: 'message-garbage' }),
    ]);
    expect(dropped[1]).not.toHaveProperty('videoId');
    expect(lines.filter((line) => line.messageId === undefined)).toEqual([]);
  });
});
