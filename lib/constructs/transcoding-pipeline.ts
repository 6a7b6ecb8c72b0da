import { Duration, Names, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as mediaconvert from 'aws-cdk-lib/aws-mediaconvert';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  PIPELINE_TELEMETRY,
  SOURCE_NOTIFICATION_FILTER,
  SUBMIT_LIMITS,
  UPLOAD_QUEUE_VISIBILITY_SECONDS,
} from '../../lambda/transcode/environment';
import { FINAL_JOB_STATES } from '../../lambda/transcode/job-state-event';
import { completionEnvironment, submitEnvironment } from '../../lambda/transcode/settings';
import { GuardRule, NagRule, nagObjectPrefixWildcard } from '../checks';
import { DEFAULT_CONFIG, settingRange } from '../config';
import { MEDIA_PREFIX, type MediaStorage } from './media-storage';
import type { MetadataCache } from './metadata-cache';
import { handlerEntry, handlerSecurityGroup, PlatformFunction } from './platform-function';
import { PlatformKey } from './platform-key';
import { DeadLetterQueue, QueueWithDlq } from './queue-with-dlq';
import { SubmitJobsFunction } from './submit-jobs-function';
import { UploadQueueDestination } from './upload-queue-destination';
import type { VideoCatalog } from './video-catalog';
import type { Webhooks } from './webhooks';

export { MEDIA_INFO_WASM, SUBMIT_MEMORY_MB } from './submit-jobs-function';

/** How the pipeline's handlers name themselves to Powertools. */
const TELEMETRY = {
  POWERTOOLS_SERVICE_NAME: PIPELINE_TELEMETRY.serviceName,
  POWERTOOLS_METRICS_NAMESPACE: PIPELINE_TELEMETRY.metricsNamespace,
};

export interface TranscodingPipelineProps {
  /** The upload bucket (sources) and the media bucket (outputs). */
  readonly storage: MediaStorage;
  /** The catalog the handlers move videos through. */
  readonly catalog: VideoCatalog;
  /** The metadata cache; the job-state handler runs in its VPC to refresh entries. */
  readonly cache: MetadataCache;
  /**
   * Where `video.ready` and `video.failed` go.
   * @default - no webhooks
   */
  readonly webhooks?: Webhooks;
  /**
   * Encrypts the handlers' logs; the construct lets CloudWatch Logs use it for its groups.
   * @default - the construct's own encryption key
   */
  readonly logKey?: kms.Key;
  /**
   * How long the handlers' logs are kept.
   * @default - the `vod` setting's default, `logRetentionDays` (see docs/configuration.md)
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Seconds the metadata cache keeps a video; the job-state handler writes entries with it.
   * @default - the `vod` setting's default, `metadataCacheTtlSeconds` (see docs/configuration.md)
   */
  readonly cacheTtlSeconds?: number;
  /**
   * Told when a dead-letter queue alarm goes off or clears.
   * @default - no action
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Most submit handlers running at once (SQS event source maximum concurrency, at least 2).
   * @default 10
   */
  readonly maxSubmitConcurrency?: number;
}

/**
 * Uploaded sources become MediaConvert jobs, and finished jobs become READY or FAILED videos.
 *
 * - S3 notifies an encrypted queue of every source created under `uploads/`; the submit function
 *   (outside the VPC: MediaConvert has no VPC endpoint) reads the source's index, claims the job
 *   on the video record and creates it in the platform's own on-demand MediaConvert queue, as a
 *   role that reads uploads and writes media only. Failed messages retry, then go to a
 *   dead-letter queue.
 * - An EventBridge rule on that queue's final job states invokes the job-state function (in the
 *   cache's VPC), which updates the catalog and the cache and publishes the webhook. Events that
 *   still fail after Lambda's retries land in a second dead-letter queue.
 * - Both dead-letter queues have an alarm.
 */
export class TranscodingPipeline extends Construct {
  /** S3 notifications of new sources. */
  public readonly uploadQueue: QueueWithDlq;
  public readonly uploadDeadLetterQueue: DeadLetterQueue;
  /** Job events the job-state function could not handle. */
  public readonly jobEventDeadLetterQueue: DeadLetterQueue;
  /** Encrypts the three queues. */
  public readonly encryptionKey: PlatformKey;
  /** The platform's MediaConvert queue (on-demand pricing). */
  public readonly mediaConvertQueue: mediaconvert.CfnQueue;
  /** The role MediaConvert assumes: read `uploads/`, write `v/`. */
  public readonly mediaConvertRole: iam.Role;
  public readonly submitFunction: SubmitJobsFunction;
  public readonly jobStateFunction: PlatformFunction;
  public readonly jobStateRule: events.Rule;
  /** The job-state function's network identity (the cache and the endpoints let it in). */
  public readonly securityGroup: ec2.SecurityGroup;
  /** One alarm per dead-letter queue. */
  public readonly deadLetterAlarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: TranscodingPipelineProps) {
    super(scope, id);
    const cacheTtlSeconds = props.cacheTtlSeconds ?? DEFAULT_CONFIG.metadataCacheTtlSeconds;
    const cacheTtlRange = settingRange('metadataCacheTtlSeconds');
    if (
      !Number.isInteger(cacheTtlSeconds) ||
      cacheTtlSeconds < cacheTtlRange.min ||
      cacheTtlSeconds > cacheTtlRange.max
    ) {
      throw new Error(
        `TranscodingPipeline: cacheTtlSeconds must be ${cacheTtlRange.min} to ${cacheTtlRange.max}, received ${cacheTtlSeconds}`,
      );
    }
    const maxSubmitConcurrency = props.maxSubmitConcurrency ?? 10;
    if (!Number.isInteger(maxSubmitConcurrency) || maxSubmitConcurrency < 2 || maxSubmitConcurrency > 1000) {
      throw new Error(
        `TranscodingPipeline: maxSubmitConcurrency must be a whole number from 2 to 1000 (SQS event source limits), received ${maxSubmitConcurrency}`,
      );
    }

    // Queues: encrypted under one key that S3 (notifications) and EventBridge (failed events) may use.
    this.encryptionKey = new PlatformKey(this, 'Key', { description: 'Encrypts the transcoding pipeline queues' });
    this.encryptionKey.allowServicesToSend('AllowAwsServicesToSendToThePipelineQueues', [
      's3.amazonaws.com',
      'events.amazonaws.com',
    ]);
    this.uploadQueue = new QueueWithDlq(this, 'UploadQueue', {
      encryptionKey: this.encryptionKey,
      contents: 'upload notifications',
      visibilityTimeout: Duration.seconds(UPLOAD_QUEUE_VISIBILITY_SECONDS),
      retentionPeriod: Duration.days(4),
      maxReceiveCount: SUBMIT_LIMITS.maxReceiveCount,
      alarmTopic: props.alarmTopic,
    });
    this.uploadDeadLetterQueue = this.uploadQueue.deadLetters;
    this.jobEventDeadLetterQueue = new DeadLetterQueue(this, 'JobEventDeadLetterQueue', {
      encryptionKey: this.encryptionKey,
      contents: 'MediaConvert job events',
      alarmTopic: props.alarmTopic,
    });
    this.deadLetterAlarms = [this.uploadDeadLetterQueue.alarm, this.jobEventDeadLetterQueue.alarm];
    this.notifyUploads(props.storage);

    // MediaConvert: the platform's own queue, so its job events are told from other jobs of the account.
    this.mediaConvertQueue = new mediaconvert.CfnQueue(this, 'MediaConvertQueue', {
      description: `Transcoding jobs of ${Names.uniqueId(this)}`,
      pricingPlan: 'ON_DEMAND',
      status: 'ACTIVE',
    });
    this.mediaConvertRole = this.createMediaConvertRole(props.storage);

    // One key fewer to pay for: the construct's own key encrypts its logs too.
    const logKey = props.logKey ?? this.encryptionKey;
    this.submitFunction = new SubmitJobsFunction(this, 'Submit', {
      storage: props.storage,
      catalog: props.catalog,
      uploadQueue: this.uploadQueue,
      mediaConvertQueue: this.mediaConvertQueue,
      mediaConvertRole: this.mediaConvertRole,
      environment: {
        ...submitEnvironment({
          tableName: props.catalog.table.tableName,
          uploadBucket: props.storage.uploadBucket.bucketName,
          mediaBucket: props.storage.mediaBucket.bucketName,
          roleArn: this.mediaConvertRole.roleArn,
          queueArn: this.mediaConvertQueue.attrArn,
        }),
        ...TELEMETRY,
      },
      logKey,
      logRetention: props.logRetention,
      maxConcurrency: maxSubmitConcurrency,
    });

    // Job state: EventBridge → catalog, cache, webhook.
    this.securityGroup = handlerSecurityGroup(
      this,
      'SecurityGroup',
      props.cache.vpc,
      'Job-state handler: TLS to the cache and to AWS through VPC endpoints',
    );
    props.cache.allowClientsFrom(this.securityGroup);
    if (props.webhooks) props.cache.addInterfaceEndpoint(ec2.InterfaceVpcEndpointAwsService.SQS, this.securityGroup);
    this.jobStateFunction = this.createJobStateFunction(props, logKey, cacheTtlSeconds);
    this.jobStateRule = new events.Rule(this, 'JobStateRule', {
      description: 'Final states of the platform MediaConvert jobs',
      eventPattern: {
        source: ['aws.mediaconvert'],
        detailType: ['MediaConvert Job State Change'],
        detail: { status: [...FINAL_JOB_STATES], queue: [this.mediaConvertQueue.attrArn] },
      },
      targets: [
        new targets.LambdaFunction(this.jobStateFunction, {
          deadLetterQueue: this.jobEventDeadLetterQueue,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
  }

  /** S3 tells the upload queue of every source created under `uploads/`. */
  private notifyUploads(storage: MediaStorage): void {
    storage.uploadBucket.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new UploadQueueDestination(this.uploadQueue),
      { ...SOURCE_NOTIFICATION_FILTER },
    );
    this.acknowledgeNotificationHandler(storage);
  }

  private createMediaConvertRole(storage: MediaStorage): iam.Role {
    const role = new iam.Role(this, 'MediaConvertRole', {
      assumedBy: new iam.ServicePrincipal('mediaconvert.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Assumed by MediaConvert for the platform jobs: read sources under uploads/, write outputs under v/',
    });
    storage.grantReadUploads(role);
    storage.grantWriteMedia(role);
    storage.acknowledgeUploadReads(role, 'the transcoding jobs');
    storage.acknowledgeMediaWrites(role, 'the transcoding jobs');
    return role;
  }

  /** Job state: a final job state → the catalog, the cache and the webhook, from the cache's VPC. */
  private createJobStateFunction(
    props: TranscodingPipelineProps,
    logKey: kms.Key,
    cacheTtlSeconds: number,
  ): PlatformFunction {
    const { storage, catalog, cache } = props;
    const jobState = new PlatformFunction(this, 'JobState', {
      entry: handlerEntry('transcode', 'job-state-change'),
      description: 'Moves a video to READY or FAILED when its MediaConvert job ends',
      roleDescription: 'Moves videos to READY or FAILED when their job ends',
      logKey,
      logName: 'job-state',
      logRetention: props.logRetention,
      memorySize: 512,
      timeout: Duration.seconds(30),
      vpc: { vpc: cache.vpc, subnets: cache.subnets, securityGroup: this.securityGroup },
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      deadLetterQueue: this.jobEventDeadLetterQueue,
      environment: {
        ...completionEnvironment({
          tableName: catalog.table.tableName,
          mediaBucket: storage.mediaBucket.bucketName,
          cacheEndpoint: cache.endpoint,
          // ElastiCache Serverless only accepts TLS.
          cacheTls: true,
          cacheTtlSeconds,
          webhookQueueUrl: props.webhooks?.queue.queueUrl,
        }),
        ...TELEMETRY,
      },
    });
    const role = jobState.executionRole;
    // Lambda dead-letters a failed event as the function's role, into a queue under this key.
    this.encryptionKey.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    catalog.grantCalls(role, ['GetItem', 'UpdateItem']);
    // Outputs of a video deleted while its job ran are removed when the job ends.
    storage.grantMediaCalls(role, ['DeleteByPrefix']);
    props.webhooks?.grantPublish(role);
    Validations.of(role).acknowledge({
      id: nagObjectPrefixWildcard(storage.mediaBucket, MEDIA_PREFIX),
      reason:
        'Late outputs of a deleted video are under v/{id}/, a key unknown until the job ends; the grant is list and delete under v/ of the media bucket only.',
    });
    return jobState;
  }
  /**
   * CDK applies a bucket's notifications with its own custom-resource function (one per stack),
   * because CloudFormation cannot create a bucket whose notifications name a queue whose policy
   * names the bucket.
   */
  private acknowledgeNotificationHandler(storage: MediaStorage): void {
    const handler = Stack.of(this).node.children.find((child) =>
      child.node.id.startsWith('BucketNotificationsHandler'),
    );
    if (handler) {
      Validations.of(handler).acknowledge(
        {
          id: NagRule.lambdaBasicExecutionManagedPolicy,
          reason:
            'CDK’s own BucketNotifications handler, run once per deploy to set the upload bucket’s notification; its role has the basic logging policy and s3:PutBucketNotification only.',
        },
        {
          id: GuardRule.lambdaInsideVpc,
          reason:
            'CDK’s own BucketNotifications handler calls the S3 API once per deploy; it holds no data and needs no VPC.',
        },
      );
    }
    Validations.of(storage.uploadBucket).acknowledge({
      id: GuardRule.s3EventNotifications,
      reason:
        'The bucket notifies the upload queue of new sources under uploads/; CDK sets that through its BucketNotifications custom resource, which this template check cannot see.',
    });
  }
}
