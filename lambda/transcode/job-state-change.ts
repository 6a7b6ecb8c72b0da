import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { DEPENDENCY_TIMEOUTS } from '../adapters/dependency-outage';
import { DynamoDbCatalog } from '../adapters/dynamodb-catalog';
import { lazy } from '../adapters/lazy';
import { createS3Client, S3ObjectStore } from '../adapters/s3-object-store';
import { createSqsClient, SqsNotifier } from '../adapters/sqs-notifier';
import { createTelemetry } from '../adapters/telemetry';
import { ValkeyCache } from '../adapters/valkey-cache';
import { CATALOG_SCHEMA } from '../api/routes';
import { type CompletionDeps, completeTranscode, type PipelineOutcome } from '../core/transcoding';
import { PIPELINE_TELEMETRY } from './environment';
import { parseJobStateEvent } from './job-state-event';
import { readCompletionSettings } from './settings';

/**
 * The target of the rule on MediaConvert's job state changes: a finished job moves its video to
 * READY or FAILED, refreshes the cache and publishes the webhook. An event that fails here (the
 * catalog unreachable) is retried by Lambda, then kept in the dead-letter queue.
 */

const settings = readCompletionSettings(process.env);
const { logger, metrics, tracer, count } = createTelemetry(PIPELINE_TELEMETRY);
// S3 and SQS are built on first use: an event that is dropped or ignored needs neither.
const s3 = lazy(() => tracer.captureAWSv3Client(createS3Client({ forcePathStyle: settings.s3ForcePathStyle })));

const deps: CompletionDeps = {
  catalog: new DynamoDbCatalog(
    tracer.captureAWSv3Client(new DynamoDBClient({ requestHandler: { ...DEPENDENCY_TIMEOUTS } })),
    {
      tableName: settings.tableName,
      ownerIndexName: CATALOG_SCHEMA.ownerIndexName,
    },
  ),
  cache: new ValkeyCache({
    endpoint: settings.cacheEndpoint,
    tls: settings.cacheTls,
    onError: (error) => logger.debug('cache connection error', { error: error.message }),
  }),
  clock: { now: () => new Date() },
  policy: { cacheTtlSeconds: settings.cacheTtlSeconds },
  media: new S3ObjectStore(s3, settings.mediaBucket),
  notifier: settings.webhookQueueUrl
    ? new SqsNotifier(
        lazy(() => tracer.captureAWSv3Client(createSqsClient())),
        settings.webhookQueueUrl,
      )
    : { publish: async () => undefined },
  onCacheWriteFailure: (error) => {
    count('CacheWriteFailure');
    logger.warn('cache write failed; the entry lives until its TTL', { error: String(error) });
  },
};

const METRIC_OF: Record<PipelineOutcome['result'], string> = {
  submitted: 'JobSubmitted',
  updated: 'JobFinished',
  repeated: 'JobEventRepeated',
  dropped: 'JobEventDropped',
};

export async function handler(event: unknown, context?: Context): Promise<PipelineOutcome | undefined> {
  if (context) logger.addContext(context);
  metrics.captureColdStartMetric();
  try {
    const parsed = parseJobStateEvent(event);
    if ('ignored' in parsed) {
      logger.info('event ignored', { reason: parsed.ignored });
      return undefined;
    }
    logger.appendKeys({ jobId: parsed.change.jobId, videoId: parsed.change.videoId });
    const outcome = await completeTranscode(deps, parsed.change);
    count(METRIC_OF[outcome.result]);
    if (outcome.result === 'updated') count(outcome.status === 'READY' ? 'VideoReady' : 'VideoFailed');
    if (outcome.result === 'dropped') logger.warn('event dropped', { reason: outcome.reason });
    else logger.info('job state handled', { ...outcome });
    return outcome;
  } finally {
    logger.removeKeys(['jobId', 'videoId']);
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
