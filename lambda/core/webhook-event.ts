import { createHash } from 'node:crypto';
import type { Video } from './schemas';
import { toVideo, type VideoRecord } from './video';

/**
 * Webhook events, as docs/webhooks.md documents them: `{ id, type, createdAt, data: { video } }`. The body
 * is built once, when the event is published, and delivered byte for byte on every attempt.
 */

export const WEBHOOK_EVENT_TYPES = ['video.ready', 'video.failed', 'video.deleted'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface WebhookEvent {
  /** Stable for one change of one video: a receiver that sees an id twice has seen that event. */
  readonly id: string;
  readonly type: WebhookEventType;
  readonly createdAt: string;
  readonly data: { readonly video: Video };
}

/**
 * The event that tells of `record` reaching its current state. The id derives from the video,
 * the type and the record's `updatedAt`, so a job event handled twice publishes the same id.
 */
export function webhookEvent(type: WebhookEventType, record: VideoRecord, createdAt: string): WebhookEvent {
  const digest = createHash('sha256').update(`${type}\n${record.id}\n${record.updatedAt}`).digest('base64url');
  return { id: `evt_${digest.slice(0, 24)}`, type, createdAt, data: { video: toVideo(record) } };
}
