import { randomUUID } from 'node:crypto';

/** The MediaConvert queue the test events come from. */
export const MEDIACONVERT_QUEUE_ARN = 'arn:aws:mediaconvert:eu-west-1:123456789012:queues/vod';

/**
 * The event EventBridge delivers when a MediaConvert job changes state, as the completion handler
 * receives it. `detail` is laid over the job id, status, queue and timestamp.
 */
export function mediaConvertJobEvent(jobId: string, status: string, detail: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'MediaConvert Job State Change',
    source: 'aws.mediaconvert',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'eu-west-1',
    resources: [`arn:aws:mediaconvert:eu-west-1:123456789012:jobs/${jobId}`],
    detail: {
      timestamp: Date.now(),
      accountId: '123456789012',
      queue: MEDIACONVERT_QUEUE_ARN,
      jobId,
      status,
      ...detail,
    },
  };
}
