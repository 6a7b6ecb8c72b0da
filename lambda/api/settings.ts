import * as z from 'zod';
import {
  environmentVariables,
  flag,
  hostAndPort,
  list,
  name,
  positiveInt,
  readEnvironment,
  S3_FORCE_PATH_STYLE,
  type Written,
} from '../adapters/environment-codec';
import type { ApiPolicy } from '../core/ports';
import { API_ENV } from './routes';

/**
 * The handlers' settings, read once from the environment and checked: a bad deploy fails loudly
 * at init. `apiEnvironment` writes the same variables, for the CDK construct and the local twin.
 */

/** Local twin only: the signing key as JSON, where there is no Secrets Manager. */
export const STATIC_SIGNING_KEY = 'PLAYBACK_SIGNING_KEY';

// No defaults: every writer sets every variable, except those only the twin sets.
const EnvSchema = z
  .object({
    [API_ENV.tableName]: name,
    [API_ENV.ownerIndexName]: name,
    [API_ENV.uploadBucket]: name,
    [API_ENV.mediaBucket]: name,
    [API_ENV.cacheEndpoint]: hostAndPort,
    [API_ENV.cacheTls]: flag,
    [API_ENV.cacheTtlSeconds]: positiveInt,
    [API_ENV.cdnBaseUrl]: z.url().transform((url) => url.replace(/\/+$/, '')),
    [API_ENV.signingKeySecretArn]: name.optional(),
    [STATIC_SIGNING_KEY]: name.optional(),
    [API_ENV.jwtIssuer]: name,
    [API_ENV.jwtAudience]: name,
    [API_ENV.jwksUrl]: z.url(),
    [API_ENV.maxUploadBytes]: positiveInt,
    [API_ENV.allowedContentTypes]: list,
    [API_ENV.uploadUrlTtlSeconds]: positiveInt,
    [API_ENV.publicPlaybackTtlSeconds]: positiveInt,
    [API_ENV.privatePlaybackTtlSeconds]: positiveInt,
    [API_ENV.allowedOrigins]: list,
    [API_ENV.webhookQueueUrl]: z.url().optional(),
    [S3_FORCE_PATH_STYLE]: flag.default(false),
  })
  .refine((env) => env[API_ENV.signingKeySecretArn] || env[STATIC_SIGNING_KEY], {
    message: `set ${API_ENV.signingKeySecretArn} (or ${STATIC_SIGNING_KEY} in the local twin)`,
  });

export interface ApiSettings {
  readonly tableName: string;
  readonly ownerIndexName: string;
  readonly uploadBucket: string;
  readonly mediaBucket: string;
  readonly cacheEndpoint: string;
  readonly cacheTls: boolean;
  readonly signingKeySecretArn?: string;
  readonly staticSigningKey?: string;
  readonly jwt: { readonly issuer: string; readonly audience: string; readonly jwksUrl: string };
  readonly allowedOrigins: readonly string[];
  readonly s3ForcePathStyle: boolean;
  readonly webhookQueueUrl?: string;
  readonly policy: ApiPolicy;
}

export function readSettings(env: NodeJS.ProcessEnv): ApiSettings {
  const e = readEnvironment(EnvSchema, env, 'API');
  return {
    tableName: e[API_ENV.tableName],
    ownerIndexName: e[API_ENV.ownerIndexName],
    uploadBucket: e[API_ENV.uploadBucket],
    mediaBucket: e[API_ENV.mediaBucket],
    cacheEndpoint: e[API_ENV.cacheEndpoint],
    cacheTls: e[API_ENV.cacheTls],
    signingKeySecretArn: e[API_ENV.signingKeySecretArn],
    staticSigningKey: e[STATIC_SIGNING_KEY],
    jwt: { issuer: e[API_ENV.jwtIssuer], audience: e[API_ENV.jwtAudience], jwksUrl: e[API_ENV.jwksUrl] },
    allowedOrigins: e[API_ENV.allowedOrigins],
    s3ForcePathStyle: e[S3_FORCE_PATH_STYLE],
    webhookQueueUrl: e[API_ENV.webhookQueueUrl],
    policy: {
      maxUploadBytes: e[API_ENV.maxUploadBytes],
      allowedContentTypes: e[API_ENV.allowedContentTypes].map((type) => type.toLowerCase()),
      uploadUrlTtlSeconds: e[API_ENV.uploadUrlTtlSeconds],
      publicPlaybackTtlSeconds: e[API_ENV.publicPlaybackTtlSeconds],
      privatePlaybackTtlSeconds: e[API_ENV.privatePlaybackTtlSeconds],
      cacheTtlSeconds: e[API_ENV.cacheTtlSeconds],
      cdnBaseUrl: e[API_ENV.cdnBaseUrl],
    },
  };
}

/** What `apiEnvironment` is given: the settings, with the twin's path-style flag left out in AWS. */
export type ApiEnvironmentValues = Written<ApiSettings>;

/** The variables `readSettings` parses back into `values`. */
export function apiEnvironment(values: ApiEnvironmentValues): Record<string, string> {
  const { jwt, policy } = values;
  return environmentVariables<z.input<typeof EnvSchema>>({
    [API_ENV.tableName]: values.tableName,
    [API_ENV.ownerIndexName]: values.ownerIndexName,
    [API_ENV.uploadBucket]: values.uploadBucket,
    [API_ENV.mediaBucket]: values.mediaBucket,
    [API_ENV.cacheEndpoint]: values.cacheEndpoint,
    [API_ENV.cacheTls]: values.cacheTls,
    [API_ENV.cacheTtlSeconds]: policy.cacheTtlSeconds,
    [API_ENV.cdnBaseUrl]: policy.cdnBaseUrl,
    [API_ENV.signingKeySecretArn]: values.signingKeySecretArn,
    [STATIC_SIGNING_KEY]: values.staticSigningKey,
    [API_ENV.jwtIssuer]: jwt.issuer,
    [API_ENV.jwtAudience]: jwt.audience,
    [API_ENV.jwksUrl]: jwt.jwksUrl,
    [API_ENV.maxUploadBytes]: policy.maxUploadBytes,
    [API_ENV.allowedContentTypes]: policy.allowedContentTypes,
    [API_ENV.uploadUrlTtlSeconds]: policy.uploadUrlTtlSeconds,
    [API_ENV.publicPlaybackTtlSeconds]: policy.publicPlaybackTtlSeconds,
    [API_ENV.privatePlaybackTtlSeconds]: policy.privatePlaybackTtlSeconds,
    [API_ENV.allowedOrigins]: values.allowedOrigins,
    [API_ENV.webhookQueueUrl]: values.webhookQueueUrl,
    [S3_FORCE_PATH_STYLE]: values.s3ForcePathStyle,
  });
}
