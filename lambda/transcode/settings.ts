import * as z from 'zod';
import {
  environmentVariables,
  flag,
  hostAndPort,
  name,
  positiveInt,
  readEnvironment,
  S3_FORCE_PATH_STYLE,
  type Written,
} from '../adapters/environment-codec';
import { PIPELINE_ENV } from './environment';

/**
 * The transcoding handlers' settings, read once from the environment: a bad deploy fails at init.
 * `submitEnvironment` and `completionEnvironment` write the same variables, for the CDK construct
 * and the local twin. No defaults: every writer sets every variable, except those only the twin sets.
 */

const SubmitEnvSchema = z.object({
  [PIPELINE_ENV.tableName]: name,
  [PIPELINE_ENV.uploadBucket]: name,
  [PIPELINE_ENV.mediaBucket]: name,
  [PIPELINE_ENV.mediaConvertRoleArn]: name,
  [PIPELINE_ENV.mediaConvertQueueArn]: name,
  [S3_FORCE_PATH_STYLE]: flag.default(false),
});

const CompletionEnvSchema = z.object({
  [PIPELINE_ENV.tableName]: name,
  [PIPELINE_ENV.mediaBucket]: name,
  [PIPELINE_ENV.cacheEndpoint]: hostAndPort,
  [PIPELINE_ENV.cacheTls]: flag,
  [PIPELINE_ENV.cacheTtlSeconds]: positiveInt,
  [PIPELINE_ENV.webhookQueueUrl]: z.url().optional(),
  [S3_FORCE_PATH_STYLE]: flag.default(false),
});

export interface SubmitSettings {
  readonly tableName: string;
  readonly uploadBucket: string;
  readonly mediaBucket: string;
  readonly roleArn: string;
  readonly queueArn: string;
  readonly s3ForcePathStyle: boolean;
}

export interface CompletionSettings {
  readonly tableName: string;
  readonly mediaBucket: string;
  readonly cacheEndpoint: string;
  readonly cacheTls: boolean;
  readonly cacheTtlSeconds: number;
  readonly webhookQueueUrl?: string;
  readonly s3ForcePathStyle: boolean;
}

export type SubmitEnvironmentValues = Written<SubmitSettings>;
export type CompletionEnvironmentValues = Written<CompletionSettings>;

export function readSubmitSettings(env: NodeJS.ProcessEnv): SubmitSettings {
  const e = readEnvironment(SubmitEnvSchema, env, 'submit handler');
  return {
    tableName: e[PIPELINE_ENV.tableName],
    uploadBucket: e[PIPELINE_ENV.uploadBucket],
    mediaBucket: e[PIPELINE_ENV.mediaBucket],
    roleArn: e[PIPELINE_ENV.mediaConvertRoleArn],
    queueArn: e[PIPELINE_ENV.mediaConvertQueueArn],
    s3ForcePathStyle: e[S3_FORCE_PATH_STYLE],
  };
}

/** The variables `readSubmitSettings` parses back into `values`. */
export function submitEnvironment(values: SubmitEnvironmentValues): Record<string, string> {
  return environmentVariables<z.input<typeof SubmitEnvSchema>>({
    [PIPELINE_ENV.tableName]: values.tableName,
    [PIPELINE_ENV.uploadBucket]: values.uploadBucket,
    [PIPELINE_ENV.mediaBucket]: values.mediaBucket,
    [PIPELINE_ENV.mediaConvertRoleArn]: values.roleArn,
    [PIPELINE_ENV.mediaConvertQueueArn]: values.queueArn,
    [S3_FORCE_PATH_STYLE]: values.s3ForcePathStyle,
  });
}

export function readCompletionSettings(env: NodeJS.ProcessEnv): CompletionSettings {
  const e = readEnvironment(CompletionEnvSchema, env, 'job state handler');
  return {
    tableName: e[PIPELINE_ENV.tableName],
    mediaBucket: e[PIPELINE_ENV.mediaBucket],
    cacheEndpoint: e[PIPELINE_ENV.cacheEndpoint],
    cacheTls: e[PIPELINE_ENV.cacheTls],
    cacheTtlSeconds: e[PIPELINE_ENV.cacheTtlSeconds],
    webhookQueueUrl: e[PIPELINE_ENV.webhookQueueUrl],
    s3ForcePathStyle: e[S3_FORCE_PATH_STYLE],
  };
}

/** The variables `readCompletionSettings` parses back into `values`. */
export function completionEnvironment(values: CompletionEnvironmentValues): Record<string, string> {
  return environmentVariables<z.input<typeof CompletionEnvSchema>>({
    [PIPELINE_ENV.tableName]: values.tableName,
    [PIPELINE_ENV.mediaBucket]: values.mediaBucket,
    [PIPELINE_ENV.cacheEndpoint]: values.cacheEndpoint,
    [PIPELINE_ENV.cacheTls]: values.cacheTls,
    [PIPELINE_ENV.cacheTtlSeconds]: values.cacheTtlSeconds,
    [PIPELINE_ENV.webhookQueueUrl]: values.webhookQueueUrl,
    [S3_FORCE_PATH_STYLE]: values.s3ForcePathStyle,
  });
}
