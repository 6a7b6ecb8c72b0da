import { CfnOutput, Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../config';
import { Delivery } from '../constructs/delivery';
import { Firewall } from '../constructs/firewall';
import { MediaStorage } from '../constructs/media-storage';
import { MetadataCache } from '../constructs/metadata-cache';
import { Observability } from '../constructs/observability';
import { PlatformKey } from '../constructs/platform-key';
import { TranscodingPipeline } from '../constructs/transcoding-pipeline';
import { UploadApi } from '../constructs/upload-api';
import { VideoCatalog } from '../constructs/video-catalog';
import { Webhooks } from '../constructs/webhooks';

export interface PlatformStackProps extends StackProps {
  readonly config: PlatformConfig;
  /** ARN of the CLOUDFRONT web ACL from the edge stack (a cross-region reference). */
  readonly cdnWebAclArn: string;
  /** Metric name of the CLOUDFRONT web ACL (its `WebACL` metric dimension, in us-east-1), for the dashboard. */
  readonly cdnWebAclMetricName: string;
}

/** How many availability zones the platform's VPC spans. */
const AZ_COUNT = 2;

/** The platform in the configured region: storage, the CDN, the catalog, the cache and the API. */
export class PlatformStack extends Stack {
  public readonly storage: MediaStorage;
  public readonly delivery: Delivery;
  /** The REGIONAL web ACL that the API stage is associated with. */
  public readonly apiFirewall: Firewall;
  public readonly catalog: VideoCatalog;
  public readonly cache: MetadataCache;
  public readonly api: UploadApi;
  public readonly pipeline: TranscodingPipeline;
  /** Alarms notify this topic; subscribe the operators to it. */
  public readonly alarmTopic: sns.Topic;
  /** Present when `webhookUrl` is configured. */
  public readonly webhooks?: Webhooks;
  /** The dashboard and the alarms (besides the dead-letter alarms, which live with their queues). */
  public readonly observability: Observability;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.storage = new MediaStorage(this, 'Storage', {
      allowedOrigins: config.allowedOrigins,
      abortIncompleteUploadAfterDays: config.abortIncompleteUploadAfterDays,
      accessLogExpirationDays: config.accessLogExpirationDays,
    });

    this.delivery = new Delivery(this, 'Delivery', {
      mediaBucket: this.storage.mediaBucket,
      logBucket: this.storage.logBucket,
      webAclArn: props.cdnWebAclArn,
      allowedOrigins: config.allowedOrigins,
      priceClass: config.priceClass as cloudfront.PriceClass,
      manifestTtl: Duration.seconds(config.manifestTtlSeconds),
      mediaTtl: Duration.seconds(config.mediaTtlSeconds),
      originShieldRegion: config.originShieldRegion,
      domainNames: config.domainNames,
      certificate: config.certificateArn
        ? acm.Certificate.fromCertificateArn(this, 'CdnCertificate', config.certificateArn)
        : undefined,
    });

    this.apiFirewall = new Firewall(this, 'ApiFirewall', {
      scope: 'REGIONAL',
      rateLimit: config.apiRateLimit,
      rateWindowSeconds: config.rateWindowSeconds,
      scopedRateLimits: [
        { name: 'UploadCreationPerIp', method: 'POST', pathSuffix: '/videos', limit: config.uploadCreationRateLimit },
      ],
      // Completing a multipart upload posts every part's ETag (up to 10,000 parts, about 600 KB),
      // beyond this rule's 8 KB limit; the API checks body sizes itself.
      countOnlyManagedRules: { AWSManagedRulesCommonRuleSet: ['SizeRestrictions_BODY'] },
      logRetention: config.logRetentionDays,
    });

    this.catalog = new VideoCatalog(this, 'Catalog');
    this.cache = new MetadataCache(this, 'Cache', {
      flowLogBucket: this.storage.logBucket,
      maxDataStorageGb: config.cacheMaxDataStorageGb,
      maxEcpuPerSecond: config.cacheMaxEcpuPerSecond,
    });
    const userPool = config.userPoolId
      ? cognito.UserPool.fromUserPoolId(this, 'ExistingUserPool', config.userPoolId)
      : undefined;
    const userPoolClient =
      userPool && config.userPoolClientId
        ? cognito.UserPoolClient.fromUserPoolClientId(this, 'ExistingUserPoolClient', config.userPoolClientId)
        : undefined;
    const logRetention = config.logRetentionDays as logs.RetentionDays;
    this.alarmTopic = this.createAlarmTopic();
    if (config.webhookUrl)
      this.webhooks = new Webhooks(this, 'Webhooks', {
        url: config.webhookUrl,
        logRetention,
        alarmTopic: this.alarmTopic,
      });
    const [customDomain] = config.domainNames ?? [];
    this.api = new UploadApi(this, 'Api', {
      catalog: this.catalog,
      storage: this.storage,
      cache: this.cache,
      signingKeys: this.delivery,
      cdnBaseUrl: `https://${customDomain ?? this.delivery.distribution.distributionDomainName}`,
      webAclArn: this.apiFirewall.webAclArn,
      webhooks: this.webhooks,
      allowedOrigins: config.allowedOrigins,
      userPool,
      userPoolClient,
      maxUploadBytes: config.maxUploadBytes,
      allowedContentTypes: config.allowedContentTypes,
      uploadUrlTtl: Duration.seconds(config.uploadUrlTtlSeconds),
      publicPlaybackTtl: Duration.seconds(config.publicPlaybackTtlSeconds),
      privatePlaybackTtl: Duration.seconds(config.privatePlaybackTtlSeconds),
      cacheTtl: Duration.seconds(config.metadataCacheTtlSeconds),
      throttle: { ratePerSecond: config.apiThrottleRatePerSecond, burst: config.apiThrottleBurst },
      uploadCreationThrottle: {
        ratePerSecond: config.uploadCreationThrottleRatePerSecond,
        burst: config.uploadCreationThrottleBurst,
      },
      logRetention,
    });
    this.pipeline = new TranscodingPipeline(this, 'Transcoding', {
      storage: this.storage,
      catalog: this.catalog,
      cache: this.cache,
      webhooks: this.webhooks,
      alarmTopic: this.alarmTopic,
      logRetention,
      cacheTtlSeconds: config.metadataCacheTtlSeconds,
    });

    this.observability = new Observability(this, 'Observability', {
      alarmTopic: this.alarmTopic,
      runbookUrl: config.runbookUrl,
      api: this.api.api,
      functions: {
        ...this.api.functions,
        Submit: this.pipeline.submitFunction,
        JobState: this.pipeline.jobStateFunction,
        ...(this.webhooks ? { WebhookDelivery: this.webhooks.deliveryFunction } : {}),
      },
      queues: [
        { title: 'Uploads', queue: this.pipeline.uploadQueue, deadLetterQueue: this.pipeline.uploadDeadLetterQueue },
        { title: 'JobEventsDLQ', queue: this.pipeline.jobEventDeadLetterQueue },
        ...(this.webhooks
          ? [{ title: 'Webhooks', queue: this.webhooks.queue, deadLetterQueue: this.webhooks.deadLetterQueue }]
          : []),
      ],
      mediaConvertQueueArn: this.pipeline.mediaConvertQueue.attrArn,
      distribution: this.delivery.distribution,
      webAcls: [
        { title: 'CDN', metricName: props.cdnWebAclMetricName, scope: 'CLOUDFRONT' },
        { title: 'API', metricName: this.apiFirewall.webAclMetricName, scope: 'REGIONAL' },
      ],
    });

    new CfnOutput(this, 'CdnDomainName', { value: this.delivery.distribution.distributionDomainName });
    new CfnOutput(this, 'UploadBucketName', { value: this.storage.uploadBucket.bucketName });
    new CfnOutput(this, 'MediaBucketName', { value: this.storage.mediaBucket.bucketName });
    new CfnOutput(this, 'SigningKeyStoreArn', { value: this.delivery.signingKeys.keyValueStoreArn });
    new CfnOutput(this, 'SigningKeySecretArn', { value: this.delivery.signingKeySecret.secretArn });
    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'UserPoolId', { value: this.api.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.api.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'MediaConvertQueueArn', { value: this.pipeline.mediaConvertQueue.attrArn });
    new CfnOutput(this, 'DashboardName', { value: this.observability.dashboard.dashboardName });
    if (this.webhooks) new CfnOutput(this, 'WebhookSecretArn', { value: this.webhooks.secret.secretArn });
  }

  /** An encrypted topic that CloudWatch alarms of this account may publish to. */
  private createAlarmTopic(): sns.Topic {
    const key = new PlatformKey(this, 'AlarmKey', { description: 'Encrypts the alarm topic' });
    key.allowServicesToSend('AllowCloudWatchAlarmsToPublish', ['cloudwatch.amazonaws.com']);
    return new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Video platform alarms',
      masterKey: key,
      enforceSSL: true,
    });
  }

  /**
   * The first two zones of the region, resolved by CloudFormation (`Fn::GetAZs`), so the VPC
   * never needs a context lookup, even when the stack names its account.
   */
  public override get availabilityZones(): string[] {
    return Array.from({ length: AZ_COUNT }, (_, index) => Fn.select(index, Fn.getAzs()));
  }
}
