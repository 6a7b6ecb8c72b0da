import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { VideoSchema } from '../core/schemas';
import { WEBHOOK_EVENT_TYPES, type WebhookEvent } from '../core/webhook-event';
import type { DeliveryResult } from './deliver';

/**
 * One batch of the webhook queue: deliver each message's event (a few at a time), and for each
 * that failed, hide the message until its next attempt is due and report it to Lambda as a
 * partial batch failure, so the event source mapping deletes only the delivered ones. The queue's
 * redrive policy moves a message to the dead-letter queue once its attempts run out.
 */

/**
 * What a message must hold to be delivered. The video is read loosely: a newer publisher may add
 * fields, and a message dropped here is lost for good.
 */
export const WebhookEventSchema = z.object({
  id: z.string().min(1).max(200),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  createdAt: z.iso.datetime(),
  data: z.object({ video: VideoSchema.loose() }),
});

export type BatchReport =
  | { readonly kind: 'delivered'; readonly messageId: string; readonly event: WebhookEvent; readonly attempt: number }
  | {
      readonly kind: 'retry';
      readonly messageId: string;
      readonly event: WebhookEvent;
      readonly attempt: number;
      readonly reason: string;
      readonly delaySeconds: number;
      /** The queue will not hand this message out again: it moves to the dead-letter queue. */
      readonly lastAttempt: boolean;
      /** Set when the visibility change failed: the message comes back after the queue's visibility timeout. */
      readonly postponeError?: unknown;
    }
  | { readonly kind: 'dropped'; readonly messageId: string; readonly reason: string };

export interface BatchDeps {
  /** One attempt; may throw (a secret that cannot be read), which counts as a failed attempt. */
  deliver(event: WebhookEvent, body: string): Promise<DeliveryResult>;
  /** Hides the message for `seconds` from now (SQS `ChangeMessageVisibility`). */
  postpone(receiptHandle: string, seconds: number): Promise<void>;
  /** The delay after failed attempt `attempt`. */
  retryDelaySeconds(attempt: number): number;
  /** The queue's `maxReceiveCount`: after that attempt fails, the message goes to the dead-letter queue at once. */
  readonly maxAttempts: number;
  /** Attempts in flight at once. */
  readonly concurrency: number;
  /** Told of every message's outcome, for logs and metrics. */
  report(report: BatchReport): void;
}

export async function deliverBatch(records: readonly SQSRecord[], deps: BatchDeps): Promise<SQSBatchResponse> {
  const failed = await mapBounded(records, deps.concurrency, async (record) => {
    try {
      return await deliverRecord(record, deps);
    } catch {
      // Only a throwing `report` gets here; the message is safer retried than lost.
      return true;
    }
  });
  return {
    batchItemFailures: records
      .filter((_, index) => failed[index])
      .map((record) => ({ itemIdentifier: record.messageId })),
  };
}

/** Delivers one message; `true` when it must be tried again. */
async function deliverRecord(record: SQSRecord, deps: BatchDeps): Promise<boolean> {
  const event = parseEvent(record.body);
  if (!event.success) {
    deps.report({ kind: 'dropped', messageId: record.messageId, reason: event.reason });
    return false;
  }
  const attempt = Math.max(1, Number.parseInt(record.attributes.ApproximateReceiveCount, 10) || 1);
  let result: DeliveryResult;
  try {
    result = await deps.deliver(event.data, record.body);
  } catch (error) {
    result = { outcome: 'retry', reason: error instanceof Error ? error.message : String(error) };
  }
  if (result.outcome === 'delivered') {
    deps.report({ kind: 'delivered', messageId: record.messageId, event: event.data, attempt });
    return false;
  }
  // After the last attempt nothing is gained by waiting: the next receive moves it to the dead-letter queue.
  const lastAttempt = attempt === deps.maxAttempts;
  const delaySeconds = lastAttempt ? 0 : deps.retryDelaySeconds(attempt);
  let postponeError: unknown;
  try {
    await deps.postpone(record.receiptHandle, delaySeconds);
  } catch (error) {
    postponeError = error;
  }
  deps.report({
    kind: 'retry',
    messageId: record.messageId,
    event: event.data,
    attempt,
    reason: result.reason,
    delaySeconds,
    lastAttempt,
    ...(postponeError === undefined ? {} : { postponeError }),
  });
  return true;
}

function parseEvent(body: string): { success: true; data: WebhookEvent } | { success: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { success: false, reason: 'the body is not JSON' };
  }
  const parsed = WebhookEventSchema.safeParse(json);
  if (!parsed.success) return { success: false, reason: `not a webhook event: ${z.prettifyError(parsed.error)}` };
  return { success: true, data: parsed.data as WebhookEvent };
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
