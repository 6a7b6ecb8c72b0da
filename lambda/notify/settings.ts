import * as z from 'zod';
import { WEBHOOK_ENV, WEBHOOK_SECRET } from './environment';
import { WEBHOOK_DELIVERY, WEBHOOK_RETRY } from './retry-schedule';

/** The webhook handler's settings, read once from the environment and checked: a bad deploy fails loudly at init. */

const seconds = z.coerce.number().int().min(0).max(WEBHOOK_RETRY.maxVisibilitySeconds);

const EnvSchema = z
  .object({
    [WEBHOOK_ENV.url]: z.url({ protocol: /^https?$/ }),
    [WEBHOOK_ENV.secretArn]: z.string().min(1).optional(),
    [WEBHOOK_SECRET]: z.string().min(1).optional(),
    [WEBHOOK_ENV.queueUrl]: z.url(),
    /** The function's timeout must leave room for it. */
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
  const result = EnvSchema.safeParse(env);
  if (!result.success) throw new Error(`Invalid webhook environment:\n${z.prettifyError(result.error)}`);
  const e = result.data;
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
