import { CATALOG_SCHEMA } from '../lambda/api/routes';
import { apiEnvironment } from '../lambda/api/settings';
import type { SigningKey } from '../lambda/core/playback-token';
import type { ApiPolicy } from '../lambda/core/ports';
import { webhookEnvironment } from '../lambda/notify/settings';
import { completionEnvironment } from '../lambda/transcode/settings';

/**
 * The environment the handlers read, pointed at local servers: what the constructs set in AWS,
 * written by the same writers the handlers' readers sit beside, plus the endpoint overrides of
 * the AWS SDK. The twin and the tests build it here, once. The pipeline's and the webhooks'
 * variables share the API's names where they overlap.
 */
/** The API's limits and URLs (`ApiPolicy`) as the handlers will parse them back, and where the servers are. */
export interface LocalHandlerSettings extends ApiPolicy {
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly endpoints: { readonly dynamodb: string; readonly s3: string; readonly sqs: string; readonly valkey: string };
  readonly tableName: string;
  readonly uploadBucket: string;
  readonly mediaBucket: string;
  /** The playback signing key, where AWS has Secrets Manager. */
  readonly signingKey: SigningKey;
  readonly identity: { readonly issuer: string; readonly audience: string; readonly jwksUrl: string };
  readonly allowedOrigins: readonly string[];
  /** Powertools' log level. */
  readonly logLevel: string;
  /** Where webhook events go, and the secret they are signed with. @default - no webhooks */
  readonly webhooks?: { readonly url: string; readonly secret: string; readonly queueUrl: string };
}

export function localHandlerEnvironment(settings: LocalHandlerSettings): Record<string, string> {
  const { webhooks } = settings;
  // Local servers: plain connections to Valkey, path-style URLs to S3.
  const local = { cacheEndpoint: settings.endpoints.valkey, cacheTls: false, s3ForcePathStyle: true };
  return {
    AWS_REGION: settings.region,
    AWS_ACCESS_KEY_ID: settings.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: settings.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: settings.endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: settings.endpoints.s3,
    AWS_ENDPOINT_URL_SQS: settings.endpoints.sqs,
    POWERTOOLS_LOG_LEVEL: settings.logLevel,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    ...apiEnvironment({
      ...local,
      tableName: settings.tableName,
      ownerIndexName: CATALOG_SCHEMA.ownerIndexName,
      uploadBucket: settings.uploadBucket,
      mediaBucket: settings.mediaBucket,
      staticSigningKey: JSON.stringify(settings.signingKey),
      jwt: settings.identity,
      allowedOrigins: settings.allowedOrigins,
      webhookQueueUrl: webhooks?.queueUrl,
      policy: {
        maxUploadBytes: settings.maxUploadBytes,
        allowedContentTypes: settings.allowedContentTypes,
        uploadUrlTtlSeconds: settings.uploadUrlTtlSeconds,
        publicPlaybackTtlSeconds: settings.publicPlaybackTtlSeconds,
        privatePlaybackTtlSeconds: settings.privatePlaybackTtlSeconds,
        cacheTtlSeconds: settings.cacheTtlSeconds,
        cdnBaseUrl: settings.cdnBaseUrl,
      },
    }),
    ...completionEnvironment({
      ...local,
      tableName: settings.tableName,
      mediaBucket: settings.mediaBucket,
      cacheTtlSeconds: settings.cacheTtlSeconds,
      webhookQueueUrl: webhooks?.queueUrl,
    }),
    ...(webhooks
      ? webhookEnvironment({ url: webhooks.url, staticSecret: webhooks.secret, queueUrl: webhooks.queueUrl })
      : {}),
  };
}
