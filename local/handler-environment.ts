import { API_ENV, CATALOG_SCHEMA } from '../lambda/api/routes';
import type { SigningKey } from '../lambda/core/playback-token';
import type { ApiPolicy } from '../lambda/core/ports';

/**
 * The environment the handlers read, pointed at local servers: what the constructs set in AWS,
 * plus the endpoint overrides of the AWS SDK. The twin and the tests build it here, once. The
 * pipeline's and the webhooks' variables share the API's names where they overlap.
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
}

export function localHandlerEnvironment(settings: LocalHandlerSettings): Record<string, string> {
  return {
    AWS_REGION: settings.region,
    AWS_ACCESS_KEY_ID: settings.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: settings.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: settings.endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: settings.endpoints.s3,
    AWS_ENDPOINT_URL_SQS: settings.endpoints.sqs,
    S3_FORCE_PATH_STYLE: 'true',
    POWERTOOLS_LOG_LEVEL: settings.logLevel,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    [API_ENV.tableName]: settings.tableName,
    [API_ENV.ownerIndexName]: CATALOG_SCHEMA.ownerIndexName,
    [API_ENV.uploadBucket]: settings.uploadBucket,
    [API_ENV.mediaBucket]: settings.mediaBucket,
    [API_ENV.cacheEndpoint]: settings.endpoints.valkey,
    [API_ENV.cacheTls]: 'false',
    [API_ENV.cacheTtlSeconds]: String(settings.cacheTtlSeconds),
    [API_ENV.cdnBaseUrl]: settings.cdnBaseUrl,
    PLAYBACK_SIGNING_KEY: JSON.stringify(settings.signingKey),
    [API_ENV.jwtIssuer]: settings.identity.issuer,
    [API_ENV.jwtAudience]: settings.identity.audience,
    [API_ENV.jwksUrl]: settings.identity.jwksUrl,
    [API_ENV.maxUploadBytes]: String(settings.maxUploadBytes),
    [API_ENV.allowedContentTypes]: settings.allowedContentTypes.join(','),
    [API_ENV.uploadUrlTtlSeconds]: String(settings.uploadUrlTtlSeconds),
    [API_ENV.publicPlaybackTtlSeconds]: String(settings.publicPlaybackTtlSeconds),
    [API_ENV.privatePlaybackTtlSeconds]: String(settings.privatePlaybackTtlSeconds),
    [API_ENV.allowedOrigins]: settings.allowedOrigins.join(','),
  };
}
