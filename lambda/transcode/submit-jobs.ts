import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import { DEPENDENCY_TIMEOUTS } from '../adapters/dependency-outage';
import { DynamoDbCatalog } from '../adapters/dynamodb-catalog';
import { lazy } from '../adapters/lazy';
import { MediaInfoProbe } from '../adapters/media-info-probe';
import { MediaConvertTranscoder } from '../adapters/mediaconvert-transcoder';
import { createS3Client, S3ObjectStore } from '../adapters/s3-object-store';
import { createTelemetry } from '../adapters/telemetry';
import { CATALOG_SCHEMA } from '../api/routes';
import { PIPELINE_TELEMETRY } from './environment';
import { readSubmitSettings } from './settings';
import { createUploadConsumer } from './upload-consumer';

/**
 * The upload queue's consumer in AWS: the upload consumer with MediaConvert as its transcoder.
 * Everything below is built once per container.
 */

const settings = readSubmitSettings(process.env);
const telemetry = createTelemetry(PIPELINE_TELEMETRY);
const { logger, tracer, count } = telemetry;
// S3 and MediaConvert are built on first use: a batch of dropped messages never needs them.
const s3 = lazy(() => tracer.captureAWSv3Client(createS3Client({ forcePathStyle: settings.s3ForcePathStyle })));
// MediaConvert's regional endpoint, as the SDK resolves it: no DescribeEndpoints call.
const mediaconvert = lazy(() => tracer.captureAWSv3Client(new MediaConvertClient({})));

export const handler = createUploadConsumer({
  uploadBucket: settings.uploadBucket,
  telemetry,
  deps: {
    catalog: new DynamoDbCatalog(
      tracer.captureAWSv3Client(new DynamoDBClient({ requestHandler: { ...DEPENDENCY_TIMEOUTS } })),
      {
        tableName: settings.tableName,
        ownerIndexName: CATALOG_SCHEMA.ownerIndexName,
      },
    ),
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
  },
});
