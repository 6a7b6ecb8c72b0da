import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import type { WebhookEvent } from '../../lambda/core/webhook-event';
import { deliverWebhook, WEBHOOK_ID_HEADER } from '../../lambda/notify/deliver';
import { type BatchDeps, type BatchReport, deliverBatch } from '../../lambda/notify/deliver-batch';
import {
  maximumRetryWindowSeconds,
  minimumRetryWindowSeconds,
  retryDelaySeconds,
  WEBHOOK_DELIVERY,
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_RETRY,
} from '../../lambda/notify/retry-schedule';
import { SIGNATURE_HEADER, signatureHeader } from '../../lambda/notify/signature';
import { seededRandom } from '../../local/harness/seeded-random';
import { sampleEvents } from '../notify/support';
import { sqsRecord } from '../support/sqs-records';

/**
 * A webhook receiver that is down for a whole day. SQS time cannot be driven, so the webhook
 * queue is modelled here on a virtual clock, doing what SQS does with what the delivery handler
 * asks of it: a received message hides for the queue's visibility timeout, ChangeMessageVisibility
 * hides it from the time of the call, and a receive that finds a message already received
 * `maxReceiveCount` times moves it to the dead-letter queue instead of handing it out. The batch
 * logic the handler wraps (deliverBatch over deliverWebhook, with the retry schedule) runs
 * unchanged against a real HTTP receiver on loopback, which refuses connections, then answers
 * 503, until the virtual clock says it is back.
 */

jest.setTimeout(120_000);

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;
/** The virtual clock starts here; signatures carry its time. */
const EPOCH = Date.parse('2026-03-02T00:00:00.000Z');

class VirtualClock {
  now = EPOCH;
  advanceTo(time: number): void {
    this.now = Math.max(this.now, time);
  }
  /** Time since the start of the outage. */
  elapsed(): number {
    return this.now - EPOCH;
  }
}

interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  visibleAt: number;
  receiptHandle?: string;
  firstReceivedAt?: number;
}

/** The webhook queue with its redrive policy, on the virtual clock. */
class VirtualQueue {
  private readonly messages: QueuedMessage[] = [];
  readonly deadLetters: { readonly message: QueuedMessage; readonly movedAt: number }[] = [];
  private sent = 0;
  private receipts = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly options: { readonly visibilityTimeoutSeconds: number; readonly maxReceiveCount: number },
  ) {}

  get size(): number {
    return this.messages.length;
  }

  send(body: string): void {
    this.sent += 1;
    const now = this.clock.now;
    this.messages.push({ messageId: `message-${this.sent}`, body, sentAt: now, receiveCount: 0, visibleAt: now });
  }

  /** When the next message becomes visible, if any is left. */
  nextVisibleAt(): number | undefined {
    return this.messages.length === 0 ? undefined : Math.min(...this.messages.map((message) => message.visibleAt));
  }

  /** ReceiveMessage: up to `max` visible messages, oldest visibility first; the exhausted ones move to the DLQ. */
  receive(max: number): SQSRecord[] {
    const now = this.clock.now;
    const visible = this.messages
      .filter((message) => message.visibleAt <= now)
      .sort((a, b) => a.visibleAt - b.visibleAt);
    const records: SQSRecord[] = [];
    for (const message of visible) {
      if (records.length === max) break;
      if (message.receiveCount >= this.options.maxReceiveCount) {
        this.remove(message);
        this.deadLetters.push({ message, movedAt: now });
        continue;
      }
      this.receipts += 1;
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receiptHandle = `receipt-${this.receipts}`;
      message.visibleAt = now + this.options.visibilityTimeoutSeconds * SECOND;
      records.push(this.toRecord(message));
    }
    return records;
  }

  /** ChangeMessageVisibility: the new timeout counts from now; only the latest receipt handle is valid. */
  changeVisibility(receiptHandle: string, seconds: number): void {
    const message = this.messages.find((candidate) => candidate.receiptHandle === receiptHandle);
    if (!message) throw new Error(`ReceiptHandleIsInvalid: ${receiptHandle}`);
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > WEBHOOK_RETRY.maxVisibilitySeconds)
      throw new Error(`InvalidParameterValue: VisibilityTimeout ${seconds}`);
    message.visibleAt = this.clock.now + seconds * SECOND;
  }

  delete(receiptHandle: string): void {
    const message = this.messages.find((candidate) => candidate.receiptHandle === receiptHandle);
    if (message) this.remove(message);
  }

  private remove(message: QueuedMessage): void {
    this.messages.splice(this.messages.indexOf(message), 1);
  }

  private toRecord(message: QueuedMessage): SQSRecord {
    return sqsRecord({
      messageId: message.messageId,
      receiptHandle: message.receiptHandle ?? '',
      body: message.body,
      queue: 'webhooks',
      receiveCount: message.receiveCount,
      sentAt: message.sentAt,
      firstReceivedAt: message.firstReceivedAt,
    });
  }
}

interface ReceivedRequest {
  readonly eventId: string;
  readonly rawBody: string;
  readonly signature: string;
  /** The virtual time it arrived at. */
  readonly at: number;
  readonly status: number;
}

/**
 * A receiver on 127.0.0.1 whose outage follows the virtual clock: nothing listens on its port
 * before `refusesUntil` (connections are refused), then it answers 503, and from `returnsAt` on
 * it answers 204 to every request whose signature the project's signature module confirms.
 */
class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly server: Server;
  private listening = false;
  private port = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly secret: string,
    private readonly phases: { readonly refusesUntil: number; readonly returnsAt: number },
  ) {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const signature = header(request.headers, SIGNATURE_HEADER);
        const status =
          this.clock.elapsed() < this.phases.returnsAt ? 503 : this.verifies(rawBody, signature) ? 204 : 401;
        this.requests.push({
          eventId: header(request.headers, WEBHOOK_ID_HEADER),
          rawBody,
          signature,
          at: this.clock.now,
          status,
        });
        response.writeHead(status).end();
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** Takes a port, then lets it go: the receiver is down from the start. */
  async start(): Promise<void> {
    await this.listen(0);
    await this.close();
  }

  /** Listens or not, as the virtual time says. */
  async follow(): Promise<void> {
    if (!this.listening && this.clock.elapsed() >= this.phases.refusesUntil) await this.listen(this.port);
  }

  private verifies(rawBody: string, signature: string): boolean {
    const t = Number(/^t=([0-9]+),/.exec(signature)?.[1]);
    return Number.isSafeInteger(t) && signature === signatureHeader(this.secret, rawBody, t);
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        this.listening = true;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    if (!this.listening) return Promise.resolve();
    this.listening = false;
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

const header = (headers: IncomingHttpHeaders, name: string): string => String(headers[name.toLowerCase()] ?? '');

interface Outage {
  /** Where the schedule's jitter comes from: seeded draws, or every draw at the bottom or at the top. */
  readonly jitter: number | 'lowest' | 'highest';
  /** When each event is published, from the start of the outage. */
  readonly publishedAt: readonly number[];
}

interface Simulation {
  readonly queue: VirtualQueue;
  readonly receiver: Receiver;
  readonly reports: BatchReport[];
  readonly events: readonly WebhookEvent[];
  readonly bodies: ReadonlyMap<string, string>;
  /** The webhook secret the attempts were signed with. */
  readonly secret: string;
  /** Each attempt: the event id and the virtual time it was made at. */
  readonly attempts: { readonly eventId: string; readonly at: number }[];
}

/**
 * Publishes the events at their times and runs the event source mapping until the queue is
 * empty: at each moment a message becomes visible, batches are received and handed to the
 * delivery logic as the handler composes it, and delivered messages are deleted.
 */
async function simulate(outage: Outage, returnsAt: number): Promise<Simulation> {
  const clock = new VirtualClock();
  const secret = randomBytes(32).toString('base64url');
  const receiver = new Receiver(clock, secret, { refusesUntil: DAY / 2, returnsAt });
  const queue = new VirtualQueue(clock, {
    visibilityTimeoutSeconds: WEBHOOK_RETRY.queueVisibilityTimeoutSeconds,
    maxReceiveCount: WEBHOOK_MAX_ATTEMPTS,
  });
  const events = sampleEvents(outage.publishedAt.length, `s${outage.jitter}`);
  const bodies = new Map(events.map((event) => [event.id, JSON.stringify(event)]));
  const pending = events
    .map((event, index) => ({ at: EPOCH + (outage.publishedAt[index] ?? 0), body: bodies.get(event.id) ?? '' }))
    .sort((a, b) => a.at - b.at);
  const reports: BatchReport[] = [];
  const attempts: { eventId: string; at: number }[] = [];
  const random =
    outage.jitter === 'lowest' ? () => 0 : outage.jitter === 'highest' ? () => 1 : seededRandom(outage.jitter);
  const deps: BatchDeps = {
    deliver: (event, body) => {
      attempts.push({ eventId: event.id, at: clock.now });
      return deliverWebhook({
        url: receiver.url,
        secret,
        eventId: event.id,
        body,
        now: new Date(clock.now),
        timeoutMs: WEBHOOK_DELIVERY.timeoutMs,
        fetch: globalThis.fetch,
      });
    },
    postpone: async (receiptHandle, seconds) => queue.changeVisibility(receiptHandle, seconds),
    retryDelaySeconds: (attempt) => retryDelaySeconds(attempt, random),
    maxAttempts: WEBHOOK_MAX_ATTEMPTS,
    concurrency: WEBHOOK_DELIVERY.concurrency,
    report: (report) => reports.push(report),
  };

  await receiver.start();
  try {
    for (let batches = 0; ; batches++) {
      if (batches > 50_000) throw new Error('the queue never drained');
      const next = Math.min(
        pending[0]?.at ?? Number.POSITIVE_INFINITY,
        queue.nextVisibleAt() ?? Number.POSITIVE_INFINITY,
      );
      if (next === Number.POSITIVE_INFINITY) break;
      clock.advanceTo(next);
      while (pending[0] !== undefined && pending[0].at <= clock.now) queue.send(pending.shift()?.body ?? '');
      await receiver.follow();
      const records = queue.receive(WEBHOOK_DELIVERY.batchSize);
      if (records.length === 0) continue;
      const { batchItemFailures } = await deliverBatch(records, deps);
      const failed = new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
      for (const record of records) if (!failed.has(record.messageId)) queue.delete(record.receiptHandle);
    }
  } finally {
    await receiver.close();
  }
  return { queue, receiver, reports, events, bodies, secret, attempts };
}

const outages: fc.Arbitrary<Outage> = fc.record({
  jitter: fc.oneof(
    fc.constantFrom<'lowest' | 'highest'>('lowest', 'highest'),
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  ),
  // One event as the outage begins (the one with the least time to spare), more up to its last minute.
  publishedAt: fc
    .array(fc.integer({ min: 0, max: DAY - 60 * SECOND }), { maxLength: 11 })
    .map((later) => [0, ...later]),
});

/** The tightest case: the schedule at its shortest, for an event sent as the outage begins. */
const SHORTEST: Outage = { jitter: 'lowest', publishedAt: [0] };

describe('a webhook receiver down for a day', () => {
  it('is covered by the retry window, which is longer than a day', () => {
    // Act
    const window = minimumRetryWindowSeconds();

    // Assess
    expect(window * SECOND).toBeGreaterThan(DAY);
  });

  it('gets every event exactly once after it returns, signed, and nothing goes to the dead-letter queue', async () => {
    await fc.assert(
      fc.asyncProperty(outages, async (outage) => {
        // Act
        const { queue, receiver, events, bodies, secret, attempts } = await simulate(outage, DAY);

        // Assess
        expect(queue.size).toBe(0);
        expect(queue.deadLetters).toEqual([]);
        const accepted = receiver.requests.filter((request) => request.status === 204);
        expect(accepted.map((request) => request.eventId).sort()).toEqual(events.map((event) => event.id).sort());
        for (const request of accepted) {
          expect(request.at).toBeGreaterThanOrEqual(EPOCH + DAY);
          expect(request.rawBody).toBe(bodies.get(request.eventId));
          // Signed at the time of the attempt, by the same module receivers are told to mirror.
          const t = Math.floor(request.at / SECOND);
          expect(request.signature).toBe(signatureHeader(secret, request.rawBody, t));
        }
        expect(receiver.requests.filter((request) => request.status === 401)).toEqual([]);
        for (const event of events) {
          const tries = attempts.filter((attempt) => attempt.eventId === event.id);
          expect(tries.length).toBeLessThanOrEqual(WEBHOOK_MAX_ATTEMPTS);
          // Delivered at its first attempt after the return: no attempt after a success.
          expect(tries.at(-1)?.at).toBe(accepted.find((request) => request.eventId === event.id)?.at);
          expect(tries.at(-2)?.at ?? EPOCH).toBeLessThan(EPOCH + DAY);
        }
      }),
      { numRuns: 5, examples: [[SHORTEST]] },
    );
  });

  it('that never returns gets each event maxAttempts times, and each reaches the dead-letter queue only after the whole window', async () => {
    await fc.assert(
      fc.asyncProperty(outages, async (outage) => {
        // Act
        const { queue, receiver, reports, events, attempts } = await simulate(outage, Number.POSITIVE_INFINITY);

        // Assess
        expect(queue.size).toBe(0);
        expect(receiver.requests.filter((request) => request.status !== 503)).toEqual([]);
        expect(queue.deadLetters).toHaveLength(events.length);
        // Refused while nothing listened, then turned away by the receiver itself.
        expect(new Set(reports.map((report) => (report.kind === 'retry' ? report.reason : report.kind)))).toEqual(
          new Set(['connection failed: ECONNREFUSED', 'HTTP 503']),
        );
        for (const { message, movedAt } of queue.deadLetters) {
          const eventId = (JSON.parse(message.body) as WebhookEvent).id;
          const tries = attempts.filter((attempt) => attempt.eventId === eventId);
          expect(tries).toHaveLength(WEBHOOK_MAX_ATTEMPTS);
          expect(message.receiveCount).toBe(WEBHOOK_MAX_ATTEMPTS);
          const first = tries[0]?.at ?? 0;
          expect(first).toBe(message.sentAt);
          expect(movedAt - first).toBeGreaterThanOrEqual(minimumRetryWindowSeconds() * SECOND);
          expect(movedAt - first).toBeLessThanOrEqual(maximumRetryWindowSeconds() * SECOND);
          // It moves at the receive after the last attempt, which hid it for no time at all.
          expect(movedAt).toBe(tries.at(-1)?.at);
          const retries = reports.filter(
            (report): report is Extract<BatchReport, { kind: 'retry' }> =>
              report.kind === 'retry' && report.event.id === eventId,
          );
          expect(retries.map((report) => report.attempt)).toEqual(
            Array.from({ length: WEBHOOK_MAX_ATTEMPTS }, (_, index) => index + 1),
          );
          expect(retries.filter((report) => report.lastAttempt).map((report) => report.attempt)).toEqual([
            WEBHOOK_MAX_ATTEMPTS,
          ]);
          const waited = retries.reduce((sum, report) => sum + report.delaySeconds, 0);
          expect(movedAt - first).toBe(waited * SECOND);
        }
      }),
      { numRuns: 3, examples: [[SHORTEST], [{ jitter: 'highest', publishedAt: [0] }]] },
    );
  });
});
