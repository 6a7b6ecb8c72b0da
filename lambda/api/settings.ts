import * as z from 'zod';
import type { ApiPolicy } from '../core/ports';
import { API_ENV } from './routes';

/** The handlers' settings, read once from the environment and checked: a bad deploy fails loudly at init. */

const positiveInt = z.coerce.number().int().positive();
const list = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  )
  .pipe(z.array(z.string()).min(1));

const EnvSchema = z
  .object({
    [API_ENV.tableName]: z.string().min(1),
    [API_ENV.ownerIndexName]: z.string().min(1),
    [API_ENV.uploadBucket]: z.string().min(1),
    [API_ENV.mediaBucket]: z.string().min(1),
    [API_ENV.cacheEndpoint]: z.string().regex(/^[^\s:]+:[0-9]{1,5}$/),
    [API_ENV.cacheTls]: z.enum(['true', 'false']).default('true'),
    [API_ENV.cacheTtlSeconds]: positiveInt.default(300),
    [API_ENV.cdnBaseUrl]: z.url().transform((url) => url.replace(/\/+$/, '')),
    [API_ENV.signingKeySecretArn]: z.string().min(1).optional(),
    /** Local twin only: the signing key as JSON, where there is no Secrets Manager. */
    PLAYBACK_SIGNING_KEY: z.string().min(1).optional(),
    [API_ENV.jwtIssuer]: z.string().min(1),
    [API_ENV.jwtAudience]: z.string().min(1),
    [API_ENV.jwksUrl]: z.url(),
    [API_ENV.maxUploadBytes]: positiveInt,
    [API_ENV.allowedContentTypes]: list,
    [API_ENV.uploadUrlTtlSeconds]: positiveInt.default(3600),
    [API_ENV.publicPlaybackTtlSeconds]: positiveInt.default(86_400),
    [API_ENV.privatePlaybackTtlSeconds]: positiveInt.default(14_400),
    [API_ENV.allowedOrigins]: list.default(['*']),
    [API_ENV.webhookQueueUrl]: z.url().optional(),
    /** Local twin only: S3-compatible servers on loopback want path-style URLs. */
    S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
  })
  .refine((env) => env[API_ENV.signingKeySecretArn] || env.PLAYBACK_SIGNING_KEY, {
    message: `set ${API_ENV.signingKeySecretArn} (or PLAYBACK_SIGNING_KEY in the local twin)`,
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
  const result = EnvSchema.safeParse(env);
  if (!result.success) throw new Error(`Invalid API environment:\n${z.prettifyError(result.error)}`);
  const e = result.data;
  return {
    tableName: e[API_ENV.tableName],
    ownerIndexName: e[API_ENV.ownerIndexName],
    uploadBucket: e[API_ENV.uploadBucket],
    mediaBucket: e[API_ENV.mediaBucket],
    cacheEndpoint: e[API_ENV.cacheEndpoint],
    cacheTls: e[API_ENV.cacheTls] === 'true',
    signingKeySecretArn: e[API_ENV.signingKeySecretArn],
    staticSigningKey: e.PLAYBACK_SIGNING_KEY,
    jwt: { issuer: e[API_ENV.jwtIssuer], audience: e[API_ENV.jwtAudience], jwksUrl: e[API_ENV.jwksUrl] },
    allowedOrigins: e[API_ENV.allowedOrigins],
    s3ForcePathStyle: e.S3_FORCE_PATH_STYLE === 'true',
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
