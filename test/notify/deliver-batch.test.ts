import type { SQSRecord } from 'aws-lambda';
import type { DeliveryResult } from '../../lambda/notify/deliver';
import { type BatchDeps, type BatchReport, deliverBatch } from '../../lambda/notify/deliver-batch';
import { sqsRecord } from '../support/sqs-records';
import { sampleEvents } from './support';

let sequence = 0;
function record(body: string, attempt = 1): SQSRecord {
  sequence += 1;
  return sqsRecord({ messageId: `message-${sequence}`, body, queue: 'webhooks', receiveCount: attempt, sentAt: 0 });
}

const eventBody = (index = 0) => JSON.stringify(sampleEvents(index + 1)[index]);

function harness(deliver: BatchDeps['deliver'], overrides: Partial<BatchDeps> = {}) {
  const postponed: [string, number][] = [];
  const reports: BatchReport[] = [];
  const delivered: string[] = [];
  const deps: BatchDeps = {
    deliver: async (event, body) => {
      delivered.push(body);
      return deliver(event, body);
    },
    postpone: async (receiptHandle, seconds) => {
      postponed.push([receiptHandle, seconds]);
    },
    retryDelaySeconds: (attempt) => attempt * 100,
    maxAttempts: 21,
    concurrency: 10,
    report: (report) => reports.push(report),
    ...overrides,
  };
  return { deps, postponed, reports, delivered };
}

const ok = async (): Promise<DeliveryResult> => ({ outcome: 'delivered', status: 204 });
const down = async (): Promise<DeliveryResult> => ({ outcome: 'retry', reason: 'HTTP 503', status: 503 });

describe('a batch of the webhook queue', () => {
  it('reports no failure for delivered events, and hands each body over byte for byte', async () => {
    const spaced = `  ${eventBody()}\n`;
    const records = [record(eventBody(0)), record(spaced, 4)];
    const { deps, postponed, reports, delivered } = harness(ok);

    const response = await deliverBatch(records, deps);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(delivered.sort()).toEqual([eventBody(0), spaced].sort());
    expect(postponed).toEqual([]);
    expect(reports.map((report) => [report.kind, 'attempt' in report ? report.attempt : 0])).toEqual([
      ['delivered', 1],
      ['delivered', 4],
    ]);
  });

  it('hides a failed message until its next attempt is due and reports it as failed', async () => {
    const failing = record(eventBody(), 3);
    const { deps, postponed, reports } = harness(down);

    const response = await deliverBatch([failing], deps);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: failing.messageId }] });
    expect(postponed).toEqual([[failing.receiptHandle, 300]]);
    expect(reports).toEqual([
      expect.objectContaining({ kind: 'retry', attempt: 3, reason: 'HTTP 503', delaySeconds: 300, lastAttempt: false }),
    ]);
  });

  it('after the last attempt makes the message visible at once, so it reaches the dead-letter queue without waiting', async () => {
    const last = record(eventBody(), 21);
    const { deps, postponed, reports } = harness(down);

    const response = await deliverBatch([last], deps);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: last.messageId }]);
    expect(postponed).toEqual([[last.receiptHandle, 0]]);
    expect(reports).toEqual([expect.objectContaining({ kind: 'retry', lastAttempt: true, delaySeconds: 0 })]);
  });

  it('still reports the failure when hiding the message fails', async () => {
    const failing = record(eventBody());
    const { deps, reports } = harness(down, {
      postpone: async () => {
        throw new Error('SQS is unavailable');
      },
    });

    const response = await deliverBatch([failing], deps);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: failing.messageId }]);
    expect(reports).toEqual([
      expect.objectContaining({ kind: 'retry', postponeError: new Error('SQS is unavailable') }),
    ]);
  });

  it('counts an attempt that throws (an unreadable secret) as failed', async () => {
    const failing = record(eventBody());
    const { deps } = harness(async () => {
      throw new Error('AccessDeniedException');
    });

    const response = await deliverBatch([failing], deps);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: failing.messageId }]);
  });

  it('drops messages that are not webhook events without delivering or retrying them', async () => {
    const [event] = sampleEvents(1);
    const garbage = [
      record('not json {'),
      record('{"hello":"world"}'),
      record(JSON.stringify({ ...event, type: 'video.exploded' })),
      record(JSON.stringify({ ...event, data: {} })),
      record('null'),
    ];
    const { deps, postponed, reports, delivered } = harness(ok);

    const response = await deliverBatch(garbage, deps);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(delivered).toEqual([]);
    expect(postponed).toEqual([]);
    expect(reports.map((report) => report.kind)).toEqual(['dropped', 'dropped', 'dropped', 'dropped', 'dropped']);
  });

  it('delivers an event whose video carries a field this version does not know', async () => {
    const [event] = sampleEvents(1);
    const newer = JSON.stringify({ ...event, data: { video: { ...event?.data.video, chapters: [] } } });
    const { deps, delivered } = harness(ok);

    const response = await deliverBatch([record(newer)], deps);

    expect(response.batchItemFailures).toEqual([]);
    expect(delivered).toEqual([newer]);
  });

  it('keeps at most `concurrency` attempts in flight, and settles each record on its own', async () => {
    let inFlight = 0;
    let most = 0;
    const records = Array.from({ length: 10 }, (_, index) => record(eventBody(index)));
    const { deps } = harness(
      async (event) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight -= 1;
        return event.type === 'video.failed' ? down() : ok();
      },
      { concurrency: 3 },
    );

    const response = await deliverBatch(records, deps);

    expect(most).toBe(3);
    const failedTypes = response.batchItemFailures.map(
      (failure) =>
        JSON.parse(records.find((candidate) => candidate.messageId === failure.itemIdentifier)?.body ?? '').type,
    );
    expect(failedTypes).toEqual(['video.failed', 'video.failed', 'video.failed']);
  });
});
