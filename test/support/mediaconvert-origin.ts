import type { MediaConvertOrigin } from '../../lambda/transcode/job-state-event-builder';

/** The MediaConvert queue the test events come from. */
export const MEDIACONVERT_QUEUE_ARN = 'arn:aws:mediaconvert:eu-west-1:123456789012:queues/vod';

/** The account, region and queue of the jobs in the tests' job state events. */
export const TEST_MEDIACONVERT: MediaConvertOrigin = {
  accountId: '123456789012',
  region: 'eu-west-1',
  queueArn: MEDIACONVERT_QUEUE_ARN,
};
