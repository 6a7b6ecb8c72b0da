import * as z from 'zod';
import { PIPELINE_ENV } from './environment';

/** The transcoding handlers' settings, read once from the environment: a bad deploy fails at init. */

const name = z.string().min(1);

const SubmitEnvSchema = z.object({
  [PIPELINE_ENV.tableName]: name,
  [PIPELINE_ENV.uploadBucket]: name,
  [PIPELINE_ENV.mediaBucket]: name,
  [PIPELINE_ENV.mediaConvertRoleArn]: name,
  [PIPELINE_ENV.mediaConvertQueueArn]: name,
  /** Local only: S3-compatible servers on loopback want path-style URLs. */
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
});

const CompletionEnvSchema = z.object({
  [PIPELINE_ENV.tableName]: name,
  [PIPELINE_ENV.mediaBucket]: name,
  [PIPELINE_ENV.cacheEndpoint]: z.string().regex(/^[^\s:]+:[0-9]{1,5}$/),
  [PIPELINE_ENV.cacheTls]: z.enum(['true', 'false']).default('true'),
  [PIPELINE_ENV.cacheTtlSeconds]: z.coerce.number().int().positive().default(300),
  [PIPELINE_ENV.webhookQueueUrl]: z.url().optional(),
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
});

function parse<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv, what: string): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) throw new Error(`Invalid ${what} environment:\n${z.prettifyError(result.error)}`);
  return result.data;
}

export function readSubmitSettings(env: NodeJS.ProcessEnv) {
  const e = parse(SubmitEnvSchema, env, 'submit handler');
  return {
    tableName: e[PIPELINE_ENV.tableName],
    uploadBucket: e[PIPELINE_ENV.uploadBucket],
    mediaBucket: e[PIPELINE_ENV.mediaBucket],
    roleArn: e[PIPELINE_ENV.mediaConvertRoleArn],
    queueArn: e[PIPELINE_ENV.mediaConvertQueueArn],
    s3ForcePathStyle: e.S3_FORCE_PATH_STYLE === 'true',
  };
}

export function readCompletionSettings(env: NodeJS.ProcessEnv) {
  const e = parse(CompletionEnvSchema, env, 'job state handler');
  return {
    tableName: e[PIPELINE_ENV.tableName],
    mediaBucket: e[PIPELINE_ENV.mediaBucket],
    cacheEndpoint: e[PIPELINE_ENV.cacheEndpoint],
    cacheTls: e[PIPELINE_ENV.cacheTls] === 'true',
    cacheTtlSeconds: e[PIPELINE_ENV.cacheTtlSeconds],
    webhookQueueUrl: e[PIPELINE_ENV.webhookQueueUrl],
    s3ForcePathStyle: e.S3_FORCE_PATH_STYLE === 'true',
  };
}
