import { CLAIM_STALE_SECONDS } from '../core/transcoding';

/**
 * The transcoding handlers' environment variables and telemetry names: data only, so the CDK
 * construct imports it to set them. `lambda/transcode/settings.ts` parses the values. Names
 * shared with the API handlers are the same variables.
 */
export const PIPELINE_ENV = {
  tableName: 'CATALOG_TABLE_NAME',
  uploadBucket: 'UPLOAD_BUCKET_NAME',
  mediaBucket: 'MEDIA_BUCKET_NAME',
  /** The role MediaConvert assumes to read the source and write the outputs. */
  mediaConvertRoleArn: 'MEDIACONVERT_ROLE_ARN',
  /** The platform's own MediaConvert queue: job events are matched on it. */
  mediaConvertQueueArn: 'MEDIACONVERT_QUEUE_ARN',
  cacheEndpoint: 'CACHE_ENDPOINT',
  cacheTls: 'CACHE_TLS',
  cacheTtlSeconds: 'CACHE_TTL_SECONDS',
  /** The webhook delivery queue; unset when no receiver is configured. */
  webhookQueueUrl: 'WEBHOOK_QUEUE_URL',
} as const;

export const PIPELINE_TELEMETRY = { serviceName: 'vod-transcode', metricsNamespace: 'VodPlatform' } as const;

/** What the submit handler's batches may hold, and how long one may take. */
export const SUBMIT_LIMITS = { batchSize: 5, timeoutSeconds: 60, maxReceiveCount: 5 } as const;

/**
 * The upload queue's visibility timeout: six times the function's timeout, as Lambda advises (a
 * message is not handed out again while a retrying invocation may still hold it), and past the
 * time after which a claim whose job never started may be taken over, so a redelivery can take it.
 */
export const UPLOAD_QUEUE_VISIBILITY_SECONDS = Math.max(
  6 * SUBMIT_LIMITS.timeoutSeconds,
  CLAIM_STALE_SECONDS + SUBMIT_LIMITS.timeoutSeconds,
);

/** Which created objects S3 notifies the upload queue of: every upload's source. */
export const SOURCE_NOTIFICATION_FILTER = { prefix: 'uploads/', suffix: '/source' } as const;
