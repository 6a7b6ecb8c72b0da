import * as z from 'zod';
import { environmentVariables, name, readEnvironment } from '../adapters/environment-codec';
import { WEBHOOK_ENV, WEBHOOK_SECRET } from './environment';
import { WEBHOOK_DELIVERY, WEBHOOK_RETRY } from './retry-schedule';

/**
 * The webhook handler's settings, read once from the environment and checked: a bad deploy fails
 * loudly at init. `webhookEnvironment` writes the same variables, for the CDK construct and the twin.
 */

const seconds = z.coerce.number().int().min(0).max(WEBHOOK_RETRY.maxVisibilitySeconds);

const EnvSchema = z
  .object({
    [WEBHOOK_ENV.url]: z.url({ protocol: /^https?$/ }),
    [WEBHOOK_ENV.secretArn]: name.optional(),
    [WEBHOOK_SECRET]: name.optional(),
    [WEBHOOK_ENV.queueUrl]: z.url(),
    // The timeout and the schedule keep defaults: deployments leave them to retry-schedule.ts, and
    // only tests set them. The function's timeout must leave room for the attempt's.
    [WEBHOOK_ENV.timeoutMs]: z.coerce.number().int().min(100).max(60_000).default(WEBHOOK_DELIVERY.timeoutMs),
    /** 0 retries at once: only for tests. */
    [WEBHOOK_ENV.retryBaseSeconds]: seconds.default(WEBHOOK_RETRY.baseSeconds),
    [WEBHOOK_ENV.retryCapSeconds]: seconds.default(WEBHOOK_RETRY.capSeconds),
  })
  .refine((env) => env[WEBHOOK_ENV.secretArn] || env[WEBHOOK_SECRET], {
    message: `set ${WEBHOOK_ENV.secretArn} (or ${WEBHOOK_SECRET} in the local twin)`,
  });

export interface WebhookSettings {
  readonly url: string;
  readonly secretArn?: string;
  readonly staticSecret?: string;
  readonly queueUrl: string;
  readonly timeoutMs: number;
  readonly retryBaseSeconds: number;
  readonly retryCapSeconds: number;
}

export function readWebhookSettings(env: NodeJS.ProcessEnv): WebhookSettings {
  const e = readEnvironment(EnvSchema, env, 'webhook');
  return {
    url: e[WEBHOOK_ENV.url],
    secretArn: e[WEBHOOK_ENV.secretArn],
    staticSecret: e[WEBHOOK_SECRET],
    queueUrl: e[WEBHOOK_ENV.queueUrl],
    timeoutMs: e[WEBHOOK_ENV.timeoutMs],
    retryBaseSeconds: e[WEBHOOK_ENV.retryBaseSeconds],
    retryCapSeconds: e[WEBHOOK_ENV.retryCapSeconds],
  };
}

/** What `webhookEnvironment` is given: the timeout and the schedule only where they differ from the defaults. */
export type WebhookEnvironmentValues = Omit<WebhookSettings, 'timeoutMs' | 'retryBaseSeconds' | 'retryCapSeconds'> &
  Partial<Pick<WebhookSettings, 'timeoutMs' | 'retryBaseSeconds' | 'retryCapSeconds'>>;

/** The variables `readWebhookSettings` parses back into `values`. */
export function webhookEnvironment(values: WebhookEnvironmentValues): Record<string, string> {
  return environmentVariables<z.input<typeof EnvSchema>>({
    [WEBHOOK_ENV.url]: values.url,
    [WEBHOOK_ENV.secretArn]: values.secretArn,
    [WEBHOOK_SECRET]: values.staticSecret,
    [WEBHOOK_ENV.queueUrl]: values.queueUrl,
    [WEBHOOK_ENV.timeoutMs]: values.timeoutMs,
    [WEBHOOK_ENV.retryBaseSeconds]: values.retryBaseSeconds,
    [WEBHOOK_ENV.retryCapSeconds]: values.retryCapSeconds,
  });
}
