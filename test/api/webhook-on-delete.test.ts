import { CreateQueueCommand, type Message, SQSClient } from '@aws-sdk/client-sqs';
import { API_ENV } from '../../lambda/api/routes';
import type { WebhookEvent } from '../../lambda/core/webhook-event';
import { type LocalSqs, startLocalSqs } from '../../local/sqs-server';
import type { ApiHarness } from '../support/api-harness';
import { takeAll as takeAllFrom } from '../support/queues';
import { createVideo, markReady, processingVideo } from '../support/videos';

/**
 * Deleting a video tells the webhook queue, when the API has one (`WEBHOOK_QUEUE_URL`). The queue
 * lives on an SQS server of this suite's own, started first so that its URL can be handed to the
 * harness: the handlers build their runtime, notifier included, once, when their modules load.
 */

const OWNER = 'dora';

let sqsServer: LocalSqs;
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  sqsServer = await startLocalSqs(0);
  sqs = new SQSClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    endpoint: sqsServer.endpoint,
  });
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'webhooks' }))).QueueUrl ?? '';
});

afterAll(async () => {
  sqs.destroy();
  await sqsServer.close();
});

/** Takes every message off the webhook queue. */
const takeAll = (): Promise<Message[]> => takeAllFrom(sqs, queueUrl);

const eventOf = (message: Message): WebhookEvent => JSON.parse(message.Body ?? '');

describe('deleting a video with a webhook queue configured', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    const { startApiHarness } = await import('../support/api-harness');
    api = await startApiHarness({
      [API_ENV.webhookQueueUrl]: queueUrl,
      AWS_ENDPOINT_URL_SQS: sqsServer.endpoint,
    });
  });

  afterAll(async () => {
    await api.stop();
    delete process.env[API_ENV.webhookQueueUrl];
  });

  beforeEach(async () => {
    await takeAll();
  });

  it('publishes exactly one video.deleted event carrying the video as it was', async () => {
    // Prepare
    const id = await processingVideo(api, OWNER);
    await markReady(api, id);
    const before = (await api.call('getVideo', { id })).body.video;

    // Act
    const deleted = await api.call('deleteVideo', { as: OWNER, id });
    const again = await api.call('deleteVideo', { as: OWNER, id });

    // Assess
    expect([deleted.status, again.status]).toEqual([204, 404]);
    const messages = await takeAll();
    expect(messages).toHaveLength(1);
    const [message] = messages as [Message];
    expect(message.MessageAttributes?.type?.StringValue).toBe('video.deleted');
    const event = eventOf(message);
    expect(event).toEqual({
      id: expect.stringMatching(/^evt_[A-Za-z0-9_-]{24}$/),
      type: 'video.deleted',
      createdAt: expect.any(String),
      data: { video: before },
    });
    expect(before.status).toBe('READY');
    expect(Date.parse(event.createdAt)).toBeGreaterThanOrEqual(Date.parse(before.updatedAt));
  });

  it('publishes it for a video deleted while still uploading too, and nothing for a refused delete', async () => {
    // Prepare
    const { video } = await createVideo(api, OWNER);

    // Act
    const refused = await api.call('deleteVideo', { as: 'someone-else', id: video.id });
    const deleted = await api.call('deleteVideo', { as: OWNER, id: video.id });

    // Assess
    expect([refused.status, deleted.status]).toEqual([403, 204]);
    const events = (await takeAll()).map(eventOf);
    expect(events.map((event) => [event.type, event.data.video.id, event.data.video.status])).toEqual([
      ['video.deleted', video.id, 'UPLOADING'],
    ]);
    expect(events[0]?.data.video).toEqual(video);
  });
});

describe('deleting a video without a webhook queue', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    // A new "container": the handler modules load again and build their runtime from this environment.
    jest.resetModules();
    delete process.env[API_ENV.webhookQueueUrl];
    const { startApiHarness } = await import('../support/api-harness');
    api = await startApiHarness();
  });

  afterAll(async () => api.stop());

  it('deletes the video and publishes nothing', async () => {
    // Prepare
    const { createVideo: create } = await import('../support/videos');
    const { video } = await create(api, OWNER);
    await takeAll();

    // Act
    const deleted = await api.call('deleteVideo', { as: OWNER, id: video.id });

    // Assess
    expect(deleted.status).toBe(204);
    expect((await api.call('getVideo', { id: video.id })).status).toBe(404);
    const { sharedRuntime } = await import('../../lambda/api/runtime');
    expect(sharedRuntime().deps.notifier).toBeUndefined();
    expect(await takeAll()).toEqual([]);
  });
});
