import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import Redis from 'ioredis';
import type { VideoStatus } from '../../lambda/core/schemas';
import type { PipelineOutcome } from '../../lambda/core/transcoding';
import { type WebhookEvent, webhookEvent } from '../../lambda/core/webhook-event';
import { PIPELINE_ENV } from '../../lambda/transcode/environment';
import { buildJobStateEvent } from '../../lambda/transcode/job-state-event-builder';
import { makeClip } from '../../local/harness/clips';
import type { LocalQueue } from '../../local/harness/local-servers';
import { s3Notification } from '../../local/s3-notifications';
import { type ApiHarness, startApiHarness, uploadParts } from '../support/api-harness';
import { type MediaConvertEndpoint, startMediaConvertEndpoint } from '../support/mediaconvert-endpoint';
import { MEDIACONVERT_QUEUE_ARN, TEST_MEDIACONVERT } from '../support/mediaconvert-origin';
import { takeAll } from '../support/queues';
import { sqsRecord } from '../support/sqs-records';
import { catalogOf, createVideo } from '../support/videos';

/**
 * Duplicated and reordered deliveries, as SQS and EventBridge make them (at least once, in no
 * promised order), through the real upload-queue consumer (lambda/transcode/submit-jobs.ts) and the
 * real job-state target (lambda/transcode/job-state-change.ts), against dynalite, s3rver,
 * redis-server, fauxqs (the webhook queue) and a MediaConvert stand-in that never deduplicates.
 * For any interleaving: one job, the state the first final event of that job decides, and one
 * webhook event id however many times it was announced.
 */

jest.setTimeout(180_000);

type SubmitHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;
type JobStateHandler = (event: unknown) => Promise<PipelineOutcome | undefined>;

const OWNER = 'dora';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/vod-mediaconvert';
const QUEUE_ARN = MEDIACONVERT_QUEUE_ARN;
/** How many times a batch with failed items is handed out again before the test gives up (the queue's maxReceiveCount). */
const MAX_RECEIVES = 5;

let api: ApiHarness;
let mediaconvert: MediaConvertEndpoint;
let webhooks: LocalQueue;
let clip: Buffer;
/** Two Lambda containers of the submit function: their own clients and batch processors. */
let containers: SubmitHandler[] = [];
let jobState: JobStateHandler;
/** The Valkey connections the job-state module opened, closed at the end. */
let handlerConnections: Redis[] = [];

async function loadSubmitContainer(): Promise<SubmitHandler> {
  let loaded: SubmitHandler | undefined;
  await jest.isolateModulesAsync(async () => {
    loaded = (await import('../../lambda/transcode/submit-jobs')).handler;
  });
  if (!loaded) throw new Error('the submit handler did not load');
  return loaded;
}

beforeAll(async () => {
  [mediaconvert, api, clip] = await Promise.all([
    startMediaConvertEndpoint(),
    startApiHarness(),
    makeClip({ width: 640, height: 360, seconds: 1 }),
  ]);
  webhooks = await api.servers.createQueue('webhooks');
  Object.assign(process.env, {
    [PIPELINE_ENV.mediaConvertRoleArn]: ROLE_ARN,
    [PIPELINE_ENV.mediaConvertQueueArn]: QUEUE_ARN,
    [PIPELINE_ENV.webhookQueueUrl]: webhooks.url,
    AWS_ENDPOINT_URL_MEDIACONVERT: mediaconvert.url,
  });
  containers = [await loadSubmitContainer(), await loadSubmitContainer()];
  const connect = jest.spyOn(Redis.prototype, 'connect');
  try {
    jobState = (await import('../../lambda/transcode/job-state-change')).handler;
    handlerConnections = connect.mock.contexts as Redis[];
  } finally {
    connect.mockRestore();
  }
});

afterAll(async () => {
  for (const connection of handlerConnections) connection.disconnect();
  await api?.stop();
  await mediaconvert?.close();
});

/** One delivery of the upload notification: a batch of copies (distinct message ids), to one container or to both at once. */
interface Notify {
  readonly kind: 'notify';
  /** Message ids of the copies: S3 sends one event twice under different ids; a redelivery keeps its id. */
  readonly messageIds: readonly number[];
  /** SQS's receive count of the batch: above 1 it is a redelivery. */
  readonly receiveCount: number;
  /** The same batch handled by both containers at the same time (its visibility ran out mid-handling). */
  readonly bothContainers: boolean;
}

type JobStatus = 'SUBMITTED' | 'PROGRESSING' | 'STATUS_UPDATE' | 'COMPLETE' | 'ERROR' | 'CANCELED';

/** One job state event, delivered `copies` times at once. */
interface JobEvent {
  readonly kind: 'job';
  readonly status: JobStatus;
  /** The video's job, an older job of the same upload, or a job of an upload the video no longer has. */
  readonly job: 'real' | 'stale' | 'otherUpload';
  readonly copies: 1 | 2;
}

type Step = Notify | JobEvent;

const notify: fc.Arbitrary<Notify> = fc.record({
  kind: fc.constant('notify' as const),
  messageIds: fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
  receiveCount: fc.integer({ min: 1, max: 3 }),
  bothContainers: fc.boolean(),
});

const jobEventStep: fc.Arbitrary<JobEvent> = fc.record({
  kind: fc.constant('job' as const),
  status: fc.constantFrom<JobStatus>(
    'SUBMITTED',
    'PROGRESSING',
    'STATUS_UPDATE',
    'COMPLETE',
    'COMPLETE',
    'ERROR',
    'CANCELED',
  ),
  job: fc.constantFrom<JobEvent['job']>('real', 'real', 'real', 'stale', 'otherUpload'),
  copies: fc.constantFrom<1 | 2>(1, 2),
});

/**
 * A history: the upload notification comes first (a job's events cannot precede its submission),
 * then any interleaving of more notifications and job events.
 */
const histories: fc.Arbitrary<Step[]> = fc
  .tuple(notify, fc.array(fc.oneof(notify, jobEventStep), { minLength: 1, maxLength: 12 }))
  .map(([first, rest]) => [first, ...rest]);

const FINAL_STATUS: Partial<Record<JobStatus, VideoStatus>> = {
  COMPLETE: 'READY',
  ERROR: 'FAILED',
  CANCELED: 'FAILED',
};

/** What the state machine says: the first final event of the video's own job decides, once. */
function expectedStatus(history: readonly Step[]): VideoStatus {
  for (const step of history) {
    if (step.kind !== 'job' || step.job !== 'real') continue;
    const final = FINAL_STATUS[step.status];
    if (final) return final;
  }
  return 'PROCESSING';
}

/** Every event of the video's own job that ends in `status` announces it (the first, and each repeat). */
function expectedAnnouncements(history: readonly Step[], status: VideoStatus): number {
  return history
    .filter((step): step is JobEvent => step.kind === 'job' && step.job === 'real')
    .filter((step) => FINAL_STATUS[step.status] === status)
    .reduce((sum, step) => sum + step.copies, 0);
}

interface Video {
  readonly id: string;
  readonly uploadId: string;
  readonly key: string;
}

/** A video whose upload of the clip was completed through the API: PROCESSING, its source in place. */
async function completedUpload(): Promise<Video> {
  const created = await createVideo(api, OWNER, { sizeBytes: clip.length, fileName: 'clip.mp4' });
  const parts = await uploadParts(created.upload.parts, created.upload.partSize, clip);
  const id = created.video.id;
  const completed = await api.call('completeUpload', { as: OWNER, id, body: { parts } });
  if (completed.status !== 202) throw new Error(`completeUpload: ${completed.status}`);
  return { id, uploadId: created.upload.uploadId, key: `uploads/${id}/source` };
}

function notificationRecord(video: Video, messageId: string, receiveCount: number): SQSRecord {
  const body = s3Notification({ bucket: api.servers.uploadBucket, key: video.key, size: clip.length });
  return sqsRecord({ messageId, body, queue: 'upload-events', receiveCount });
}

/**
 * Hands a batch to the submit function as the event source mapping does: items reported as
 * failed come back (same message id, one more receive) until none is left.
 */
async function deliverNotification(video: Video, step: Notify): Promise<void> {
  let ids = step.messageIds.map((n) => `${video.id}-message-${n}`);
  for (let receive = step.receiveCount; ids.length > 0; receive++) {
    if (receive > step.receiveCount + MAX_RECEIVES) throw new Error(`the notification still fails: ${ids.join(', ')}`);
    const event: SQSEvent = { Records: ids.map((id) => notificationRecord(video, id, receive)) };
    const handlers = step.bothContainers ? containers : [containers[receive % 2] as SubmitHandler];
    const responses = await Promise.all(handlers.map((handler) => handler(event)));
    const failed = new Set(responses.flatMap((response) => response.batchItemFailures.map((f) => f.itemIdentifier)));
    ids = ids.filter((id) => failed.has(id));
  }
}

/** The event EventBridge delivers for a MediaConvert job of the video reaching `status`. */
function jobStateEvent(video: Video, jobId: string, uploadId: string, status: JobStatus) {
  return buildJobStateEvent(TEST_MEDIACONVERT, {
    jobId,
    status,
    userMetadata: { videoId: video.id, uploadId },
    ...(status === 'COMPLETE'
      ? {
          outputGroupDetails: [
            {
              type: 'HLS_GROUP',
              outputDetails: [
                {
                  outputFilePaths: [`s3://media-bucket/v/${video.id}/hls/master_360p.m3u8`],
                  durationInMs: 1000,
                  videoDetails: { widthInPx: 640, heightInPx: 360 },
                },
              ],
            },
          ],
        }
      : {}),
    ...(status === 'ERROR' ? { errorCode: 1010, errorMessage: 'Failed probe/open' } : {}),
  });
}

async function deliverJobEvent(video: Video, realJobId: string, step: JobEvent): Promise<void> {
  const jobId = step.job === 'stale' ? `${realJobId}-earlier` : realJobId;
  const uploadId = step.job === 'otherUpload' ? `${video.uploadId}-before` : video.uploadId;
  const event = jobStateEvent(video, jobId, uploadId, step.status);
  await Promise.all(Array.from({ length: step.copies }, () => jobState(structuredClone(event))));
}

/** Every webhook event published so far, taken off the queue as a receiver would get them. */
const published: WebhookEvent[] = [];
async function webhooksOf(id: string): Promise<WebhookEvent[]> {
  for (const message of await takeAll(api.servers.sqs, webhooks.url)) published.push(JSON.parse(message.Body ?? ''));
  return published.filter((event) => event.data.video.id === id);
}

const jobsOf = (id: string) => mediaconvert.jobs.filter((job) => job.request?.userMetadata?.videoId === id);

describe('duplicated and reordered upload notifications and job events', () => {
  it('start exactly one job, end in the state of its first final event, and announce it under one event id', async () => {
    await fc.assert(
      fc.asyncProperty(histories, async (history) => {
        // Prepare
        const video = await completedUpload();

        // Act
        let realJobId: string | undefined;
        for (const step of history) {
          if (step.kind === 'notify') await deliverNotification(video, step);
          else await deliverJobEvent(video, realJobId as string, step);
          realJobId ??= jobsOf(video.id)[0]?.id;
          if (realJobId === undefined) throw new Error('the first notification started no job');
        }

        // Assess
        const jobs = jobsOf(video.id);
        expect(jobs).toHaveLength(1);
        const record = await catalogOf(api).get(video.id);
        const status = expectedStatus(history);
        expect(record?.status).toBe(status);
        expect(record?.transcode?.jobId).toBe(jobs[0]?.id);
        const announced = await webhooksOf(video.id);
        expect(announced).toHaveLength(expectedAnnouncements(history, status));
        if (status === 'PROCESSING') {
          expect(announced).toEqual([]);
        } else {
          if (!record) throw new Error('no record');
          const type = status === 'READY' ? 'video.ready' : 'video.failed';
          const expected = webhookEvent(type, record, record.updatedAt);
          expect(new Set(announced.map((event) => event.id))).toEqual(new Set([expected.id]));
          for (const event of announced) expect(event).toEqual(expected);
        }
      }),
      {
        numRuns: 25,
        examples: [
          // Both containers at once, COMPLETE twice at once, then a late ERROR and a redelivery.
          [
            [
              { kind: 'notify', messageIds: [1, 2], receiveCount: 1, bothContainers: true },
              { kind: 'job', status: 'PROGRESSING', job: 'real', copies: 1 },
              { kind: 'job', status: 'COMPLETE', job: 'real', copies: 2 },
              { kind: 'job', status: 'ERROR', job: 'real', copies: 1 },
              { kind: 'notify', messageIds: [1], receiveCount: 2, bothContainers: false },
              { kind: 'job', status: 'COMPLETE', job: 'real', copies: 1 },
            ],
          ],
          // A stale job's COMPLETE before the real job fails.
          [
            [
              { kind: 'notify', messageIds: [3], receiveCount: 1, bothContainers: false },
              { kind: 'job', status: 'COMPLETE', job: 'stale', copies: 1 },
              { kind: 'job', status: 'ERROR', job: 'real', copies: 1 },
              { kind: 'job', status: 'COMPLETE', job: 'real', copies: 2 },
              { kind: 'job', status: 'CANCELED', job: 'real', copies: 1 },
            ],
          ],
        ],
      },
    );
  });
});
