import { randomUUID } from 'node:crypto';
import type { MediaConvertJobDetail, MediaConvertJobStateEvent } from './job-state-event';

/**
 * Builds the "MediaConvert Job State Change" event EventBridge delivers, for whoever stands in for
 * MediaConvert: the local twin's transcoder, the tests and the benchmarks. No handler uses it; the
 * deployed pipeline only parses these events (./job-state-event.ts).
 */

/** The account and region a job ran in, and its queue. */
export interface MediaConvertOrigin {
  readonly accountId: string;
  readonly region: string;
  /** @default the account's Default queue in the region */
  readonly queueArn?: string;
}

/** What the event says of the job; the builder adds the account, the queue and the time. */
export type JobStateFields = Omit<MediaConvertJobDetail, 'timestamp' | 'accountId' | 'queue'>;

/** The event of the job reaching `fields.status`, dated `at`. */
export function buildJobStateEvent(
  origin: MediaConvertOrigin,
  fields: JobStateFields,
  at: Date = new Date(),
): MediaConvertJobStateEvent {
  const { accountId, region } = origin;
  const arn = (resource: string) => `arn:aws:mediaconvert:${region}:${accountId}:${resource}`;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'MediaConvert Job State Change',
    source: 'aws.mediaconvert',
    account: accountId,
    // EventBridge dates events to the second.
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [arn(`jobs/${fields.jobId}`)],
    detail: {
      timestamp: at.getTime(),
      accountId,
      queue: origin.queueArn ?? arn('queues/Default'),
      ...fields,
    },
  };
}
