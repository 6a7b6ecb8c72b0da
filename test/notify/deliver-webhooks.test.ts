import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { SqsNotifier } from '../../lambda/adapters/sqs-notifier';
import type { WebhookEvent } from '../../lambda/core/webhook-event';
import { WEBHOOK_ENV, WEBHOOK_SECRET } from '../../lambda/notify/environment';
import { WEBHOOK_MAX_ATTEMPTS } from '../../lambda/notify/retry-schedule';
import { reusablePort } from '../../local/harness/local-servers';
import { SqsEventSource } from '../../local/sqs-event-source';
import { type LocalSqs, startLocalSqs } from '../../local/sqs-server';
import {
  createQueueWithDeadLetter,
  documentedVerifier,
  messagesIn,
  type Receiver,
  sampleEvents,
  startReceiver,
  waitFor,
} from './support';

type Handler = (event: SQSEvent) => Promise<SQSBatchResponse>;

const SECRET = 'whsec_test_0123456789abcdefghijklmnopqrstuvwxyz';
const region = 'eu-west-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** One receive of one message by the handler, as the event source mapping saw it. */
interface Receive {
  readonly messageId: string;
  readonly body: string;
  readonly attempt: number;
  readonly at: number;
  readonly failed: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const eventIdOf = (body: string): string | undefined => {
  try {
    return JSON.parse(body).id;
  } catch {
    return undefined;
  }
};

describe('webhook delivery from the queue, end to end', () => {
  let sqsServer: LocalSqs;
  let sqs: SQSClient;
  const sources: SqsEventSource[] = [];
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    sqsServer = await startLocalSqs(0);
    sqs = new SQSClient({ region, credentials, endpoint: sqsServer.endpoint });
  });

  afterAll(async () => {
    await Promise.all(sources.map((source) => source.stop()));
    await Promise.all(receivers.map((receiver) => receiver.close()));
    sqs.destroy();
    await sqsServer.close();
  });

  /** A fresh copy of the handler module, loaded with `env` as a new Lambda container would be. */
  async function loadHandler(env: Record<string, string>): Promise<Handler> {
    Object.assign(process.env, {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_SQS: sqsServer.endpoint,
      POWERTOOLS_LOG_LEVEL: 'CRITICAL',
      POWERTOOLS_METRICS_DISABLED: 'true',
      [WEBHOOK_SECRET]: SECRET,
      [WEBHOOK_ENV.timeoutMs]: '2000',
      ...env,
    });
    let handler: Handler | undefined;
    await jest.isolateModulesAsync(async () => {
      handler = (await import('../../lambda/notify/deliver-webhooks')).handler;
    });
    if (!handler) throw new Error('the handler module exports no handler');
    return handler;
  }

  /** The handler, recording what it was handed and which messages it reported as failed. */
  function observed(handler: Handler, receives: Receive[]): Handler {
    return async (event) => {
      const at = Date.now();
      const response = await handler(event);
      const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
      for (const record of event.Records) {
        receives.push({
          messageId: record.messageId,
          body: record.body,
          attempt: Number(record.attributes.ApproximateReceiveCount),
          at,
          failed: failed.has(record.messageId),
        });
      }
      return response;
    };
  }

  async function publish(queueUrl: string, events: readonly WebhookEvent[]): Promise<void> {
    const notifier = new SqsNotifier(sqs, queueUrl);
    for (const event of events) await notifier.publish(event);
  }

  it('a receiver that is down, then answers 503, then comes back receives every event, verified, and none again after its 2xx', async () => {
    const port = await reusablePort();
    const queue = await createQueueWithDeadLetter(sqs, 'webhooks-recovering', WEBHOOK_MAX_ATTEMPTS);
    const handler = await loadHandler({
      [WEBHOOK_ENV.url]: `http://127.0.0.1:${port}/hooks`,
      [WEBHOOK_ENV.queueUrl]: queue.url,
      [WEBHOOK_ENV.retryBaseSeconds]: '1',
      [WEBHOOK_ENV.retryCapSeconds]: '2',
    });
    const events = sampleEvents(6, 'recover');
    const garbage = ['not json {', '{"hello":"world"}'];
    const receives: Receive[] = [];
    const attemptsOf = (event: WebhookEvent) => receives.filter((receive) => eventIdOf(receive.body) === event.id);
    await publish(queue.url, events);
    for (const body of garbage) await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
    const source = new SqsEventSource({ client: sqs, queueUrl: queue.url, handler: observed(handler, receives) });
    sources.push(source);

    source.start();
    await waitFor('two attempts at every event while nothing listens', () =>
      events.every((event) => attemptsOf(event).some((receive) => receive.attempt >= 2)),
    );
    const receiver = await startReceiver({ port, secret: SECRET, verify: documentedVerifier(), status: 503 });
    receivers.push(receiver);
    const requestsFor = (event: WebhookEvent) =>
      receiver.requests.filter((request) => request.headers['webhook-id'] === event.id);
    await waitFor('a 503 for every event', () =>
      events.every((event) => requestsFor(event).some((request) => request.status === 503)),
    );
    receiver.status = 204;
    await waitFor('every event delivered', () =>
      events.every((event) => requestsFor(event).some((request) => request.status === 204)),
    );
    await sleep(3500);
    await source.stop();

    expect(receiver.requests.every((request) => request.verified)).toBe(true);
    for (const event of events) {
      const requests = requestsFor(event);
      expect(requests.map((request) => request.rawBody.toString('utf8'))).toEqual(
        requests.map(() => JSON.stringify(event)),
      );
      expect(requests.filter((request) => request.status === 204)).toHaveLength(1);
      expect(requests.at(-1)?.status).toBe(204);
      const attempts = attemptsOf(event);
      expect(attempts.map((receive) => receive.attempt)).toEqual(attempts.map((_, index) => index + 1));
      expect(attempts.map((receive) => receive.failed)).toEqual(
        attempts.map((_, index) => index < attempts.length - 1),
      );
      for (let index = 1; index < attempts.length; index++) {
        const gap = (attempts[index]?.at ?? 0) - (attempts[index - 1]?.at ?? 0);
        expect(gap).toBeGreaterThanOrEqual(900);
        expect(gap).toBeLessThan(10_000);
      }
    }
    expect(new Set(receiver.requests.map((request) => request.headers['webhook-id']))).toEqual(
      new Set(events.map((event) => event.id)),
    );
    for (const body of garbage) {
      expect(receives.filter((receive) => receive.body === body)).toEqual([
        expect.objectContaining({ attempt: 1, failed: false }),
      ]);
    }
    expect(await messagesIn(sqs, queue.url)).toBe(0);
    expect(await messagesIn(sqs, queue.deadLetterUrl)).toBe(0);
  });

  it(`a receiver that never comes back: its events reach the dead-letter queue only after ${WEBHOOK_MAX_ATTEMPTS} attempts`, async () => {
    const port = await reusablePort();
    const queue = await createQueueWithDeadLetter(sqs, 'webhooks-abandoned', WEBHOOK_MAX_ATTEMPTS);
    const handler = await loadHandler({
      [WEBHOOK_ENV.url]: `http://127.0.0.1:${port}/hooks`,
      [WEBHOOK_ENV.queueUrl]: queue.url,
      [WEBHOOK_ENV.retryBaseSeconds]: '0',
    });
    const events = sampleEvents(2, 'abandoned');
    const receives: Receive[] = [];
    const source = new SqsEventSource({ client: sqs, queueUrl: queue.url, handler: observed(handler, receives) });
    const snapshots: { deadLettered: number; attemptsDone: number[] }[] = [];
    await publish(queue.url, events);

    for (let poll = 0; poll < 10 * WEBHOOK_MAX_ATTEMPTS; poll++) {
      await source.pollOnce(0);
      const deadLettered = await messagesIn(sqs, queue.deadLetterUrl);
      snapshots.push({
        deadLettered,
        attemptsDone: events.map(
          (event) => receives.filter((receive) => eventIdOf(receive.body) === event.id && receive.failed).length,
        ),
      });
      if (deadLettered === events.length) break;
    }

    expect(snapshots.at(-1)?.deadLettered).toBe(events.length);
    for (const snapshot of snapshots) {
      const exhausted = snapshot.attemptsDone.filter((done) => done === WEBHOOK_MAX_ATTEMPTS).length;
      expect(snapshot.deadLettered).toBeLessThanOrEqual(exhausted);
    }
    for (const event of events) {
      const attempts = receives.filter((receive) => eventIdOf(receive.body) === event.id);
      expect(attempts.map((receive) => receive.attempt)).toEqual(
        Array.from({ length: WEBHOOK_MAX_ATTEMPTS }, (_, index) => index + 1),
      );
      expect(attempts.every((receive) => receive.failed)).toBe(true);
    }
    expect(await messagesIn(sqs, queue.url)).toBe(0);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.deadLetterUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    expect(Messages.map((message) => message.Body).sort()).toEqual(events.map((event) => JSON.stringify(event)).sort());
    expect(Messages.map((message) => message.MessageAttributes?.type?.StringValue).sort()).toEqual(
      events.map((event) => event.type).sort(),
    );
    for (const message of Messages)
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.deadLetterUrl, ReceiptHandle: message.ReceiptHandle }));
  });
});
