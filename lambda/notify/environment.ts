/**
 * The webhook delivery handler's environment variable names and telemetry names: data only (no
 * handler code), so the CDK app can import it to configure the function it deploys.
 */

export const WEBHOOK_ENV = {
  /** Where events are POSTed (https in AWS; the twin may use http on loopback). */
  url: 'WEBHOOK_URL',
  /** The Secrets Manager secret whose `SecretString` is the signing secret, used as is. */
  secretArn: 'WEBHOOK_SECRET_ARN',
  /** The webhook queue the handler consumes: retries change the visibility of its messages. */
  queueUrl: 'WEBHOOK_QUEUE_URL',
  /** How long one attempt may take, headers included. @default 10000 */
  timeoutMs: 'WEBHOOK_TIMEOUT_MS',
  /** The first retry's delay before jitter (see retry-schedule.ts). @default 30 */
  retryBaseSeconds: 'WEBHOOK_RETRY_BASE_SECONDS',
  /** The longest delay between two attempts, before jitter. @default 14400 */
  retryCapSeconds: 'WEBHOOK_RETRY_CAP_SECONDS',
} as const;

/** Local twin only: the signing secret itself, where there is no Secrets Manager. */
export const WEBHOOK_SECRET = 'WEBHOOK_SECRET';

export const WEBHOOK_TELEMETRY = { serviceName: 'vod-webhooks', metricsNamespace: 'VodPlatform' } as const;
