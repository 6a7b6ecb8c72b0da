import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Telemetry } from '../adapters/telemetry';
import { RetryLater, type SubmitDeps, submitTranscode, videoIdOfSourceKey } from '../core/transcoding';
import { parseUploadNotification } from './upload-notification';

/**
 * The upload queue's consumer: each S3 "object created" notification for an upload's source
 * starts that upload's transcoding job, once. Messages that cannot succeed (garbage, keys outside
 * the upload prefix, unknown videos) are logged and dropped; the others are retried by SQS
 * through partial batch failures.
 *
 * The handler in AWS (`submit-jobs.ts`) gives it MediaConvert; the local twin gives it ffmpeg.
 * Everything else, parsing and batch handling included, is this one function.
 */
export interface UploadConsumerOptions {
  readonly deps: SubmitDeps;
  /** Notifications about other buckets are dropped. */
  readonly uploadBucket: string;
  readonly telemetry: Telemetry;
  /**
   * Waits before trying a message again in place when its upload is not marked complete yet.
   * S3 can notify before the API's complete call has updated the catalog; without these waits
   * the message would come back only after the queue's visibility timeout, minutes later.
   * @default RETRY_IN_PLACE_MS
   */
  readonly retryInPlaceMs?: readonly number[];
}

/** About 4 s in all: far longer than the API takes between completing the upload and recording it. */
export const RETRY_IN_PLACE_MS = [250, 500, 1000, 2000] as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type SqsBatchHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

export function createUploadConsumer(options: UploadConsumerOptions): SqsBatchHandler {
  const { deps, uploadBucket } = options;
  const waits = options.retryInPlaceMs ?? RETRY_IN_PLACE_MS;

  /** Submits, trying again in place while the upload is about to be marked complete. */
  async function submitSoon(key: string) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await submitTranscode(deps, key);
      } catch (error) {
        const wait = waits[attempt];
        if (!(error instanceof RetryLater) || wait === undefined) throw error;
        await sleep(wait);
      }
    }
  }
  const { logger, metrics, count } = options.telemetry;

  /** Every line logged for a message names it, and the video once it is known. */
  async function submitMessage(record: SQSRecord): Promise<void> {
    logger.appendKeys({ messageId: record.messageId });
    try {
      await submitObjects(record);
    } finally {
      logger.removeKeys(['messageId', 'videoId']);
    }
  }

  async function submitObjects(record: SQSRecord): Promise<void> {
    const parsed = parseUploadNotification(record.body);
    if ('unreadable' in parsed) {
      count('MessageDropped');
      logger.warn('message dropped', { reason: parsed.unreadable });
      return;
    }
    for (const reason of parsed.ignored) logger.info('record ignored', { reason });
    for (const object of parsed.objects) {
      const videoId = videoIdOfSourceKey(object.key);
      if (videoId) logger.appendKeys({ videoId });
      else logger.removeKeys(['videoId']);
      if (object.bucket !== uploadBucket) {
        count('MessageDropped');
        logger.warn('message dropped', { reason: `the object is in ${object.bucket}, not the upload bucket` });
        continue;
      }
      try {
        const outcome = await submitSoon(object.key);
        if (outcome.result === 'submitted') {
          count('JobSubmitted');
          logger.info('job submitted', { jobId: outcome.jobId });
        } else {
          count('MessageDropped');
          logger.warn('message dropped', 'reason' in outcome ? { reason: outcome.reason } : { result: outcome.result });
        }
      } catch (error) {
        if (error instanceof RetryLater) logger.info('retrying later', { reason: error.message });
        else logger.error('submit failed; retrying', { error: error as Error });
        throw error;
      }
    }
  }

  const processor = new BatchProcessor(EventType.SQS);

  return async (event, context) => {
    if (context) logger.addContext(context);
    metrics.captureColdStartMetric();
    try {
      return await processPartialResponse(event, submitMessage, processor, { throwOnFullBatchFailure: false });
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}
