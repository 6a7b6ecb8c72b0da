import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DynamoDbCatalog } from '../adapters/dynamodb-catalog';
import { MediaInfoProbe } from '../adapters/media-info-probe';
import { MediaConvertTranscoder } from '../adapters/mediaconvert-transcoder';
import { createS3Client, S3ObjectStore } from '../adapters/s3-object-store';
import { createTelemetry } from '../adapters/telemetry';
import { CATALOG_SCHEMA } from '../api/routes';
import { RetryLater, type SubmitDeps, submitTranscode } from '../core/transcoding';
import { PIPELINE_TELEMETRY } from './environment';
import { readSubmitSettings } from './settings';
import { parseUploadNotification } from './upload-notification';

/**
 * The upload queue's consumer: each S3 "object created" notification for an upload's source
 * starts that upload's transcoding job, once. Messages that cannot succeed (garbage, keys outside
 * the upload prefix, unknown videos) are logged and dropped; the others are retried by SQS
 * through partial batch failures. Everything below is built once per container.
 */

const settings = readSubmitSettings(process.env);
const { logger, metrics, tracer, count } = createTelemetry(PIPELINE_TELEMETRY);
const s3 = tracer.captureAWSv3Client(createS3Client({ forcePathStyle: settings.s3ForcePathStyle }));
// MediaConvert's regional endpoint, as the SDK resolves it: no DescribeEndpoints call.
const mediaconvert = tracer.captureAWSv3Client(new MediaConvertClient({}));

const deps: SubmitDeps = {
  catalog: new DynamoDbCatalog(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    tableName: settings.tableName,
    ownerIndexName: CATALOG_SCHEMA.ownerIndexName,
  }),
  clock: { now: () => new Date() },
  probe: new MediaInfoProbe(new S3ObjectStore(s3, settings.uploadBucket)),
  transcoder: new MediaConvertTranscoder(mediaconvert, {
    uploadBucket: settings.uploadBucket,
    mediaBucket: settings.mediaBucket,
    roleArn: settings.roleArn,
    queueArn: settings.queueArn,
  }),
  onUnreadableSource: (videoId) => {
    count('SourceUnreadable');
    logger.warn('the probe could not read the source; the transcoder will say what is wrong', { videoId });
  },
};

async function submitMessage(record: SQSRecord): Promise<void> {
  const messageId = record.messageId;
  const parsed = parseUploadNotification(record.body);
  if ('unreadable' in parsed) {
    count('MessageDropped');
    logger.warn('message dropped', { messageId, reason: parsed.unreadable });
    return;
  }
  for (const reason of parsed.ignored) logger.info('record ignored', { messageId, reason });
  for (const object of parsed.objects) {
    if (object.bucket !== settings.uploadBucket) {
      count('MessageDropped');
      logger.warn('message dropped', { messageId, reason: `the object is in ${object.bucket}, not the upload bucket` });
      continue;
    }
    try {
      const outcome = await submitTranscode(deps, object.key);
      if (outcome.result === 'submitted') {
        count('JobSubmitted');
        logger.info('job submitted', { messageId, videoId: outcome.videoId, jobId: outcome.jobId });
      } else {
        count('MessageDropped');
        logger.warn('message dropped', { messageId, ...outcome });
      }
    } catch (error) {
      if (error instanceof RetryLater) logger.info('retrying later', { messageId, reason: error.message });
      else logger.error('submit failed; retrying', { messageId, error: error as Error });
      throw error;
    }
  }
}

const processor = new BatchProcessor(EventType.SQS);

export async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  if (context) logger.addContext(context);
  metrics.captureColdStartMetric();
  try {
    return await processPartialResponse(event, submitMessage, processor, { throwOnFullBatchFailure: false });
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
