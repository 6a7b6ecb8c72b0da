import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DEPENDENCY_TIMEOUTS } from '../adapters/dependency-outage';
import { lazy } from '../adapters/lazy';
import { createSqsClient } from '../adapters/sqs-notifier';
import { createTelemetry } from '../adapters/telemetry';
import { deliverWebhook } from './deliver';
import { type BatchReport, deliverBatch } from './deliver-batch';
import { WEBHOOK_TELEMETRY } from './environment';
import { retryDelaySeconds, WEBHOOK_DELIVERY, WEBHOOK_MAX_ATTEMPTS } from './retry-schedule';
import { readWebhookSettings } from './settings';
import { SecretsManagerWebhookSecret, StaticWebhookSecret } from './webhook-secret';

/**
 * The webhook queue's consumer: signs and POSTs each event, and reports the ones to retry as
 * partial batch failures after hiding them until their next attempt. Everything below is built
 * once per container, at module load; a bad environment fails the init.
 */

const settings = readWebhookSettings(process.env);
const { logger, metrics, tracer, count } = createTelemetry(WEBHOOK_TELEMETRY);
// Built on first use, as Secrets Manager below: a batch delivered at the first attempt postpones nothing.
const sqs = lazy(() => tracer.captureAWSv3Client(createSqsClient()));
const secret = settings.secretArn
  ? new SecretsManagerWebhookSecret(
      settings.secretArn,
      lazy(() => tracer.captureAWSv3Client(new SecretsManagerClient({ requestHandler: { ...DEPENDENCY_TIMEOUTS } }))),
    )
  : new StaticWebhookSecret(settings.staticSecret ?? '');

function report(outcome: BatchReport): void {
  switch (outcome.kind) {
    case 'delivered':
      count('WebhookDelivered');
      logger.info('webhook delivered', {
        messageId: outcome.messageId,
        eventId: outcome.event.id,
        eventType: outcome.event.type,
        attempt: outcome.attempt,
      });
      return;
    case 'retry': {
      count('WebhookRetried');
      const details = {
        messageId: outcome.messageId,
        eventId: outcome.event.id,
        eventType: outcome.event.type,
        attempt: outcome.attempt,
        reason: outcome.reason,
        delaySeconds: outcome.delaySeconds,
      };
      if (outcome.lastAttempt) logger.error('webhook attempts exhausted; it moves to the dead-letter queue', details);
      else logger.warn('webhook attempt failed; it will be retried', details);
      if (outcome.postponeError !== undefined)
        logger.error('could not postpone the retry; it comes back after the queue visibility timeout', {
          messageId: outcome.messageId,
          error: String(outcome.postponeError),
        });
      return;
    }
    case 'dropped':
      count('WebhookDropped');
      logger.error('message dropped: not a webhook event', { messageId: outcome.messageId, reason: outcome.reason });
      return;
  }
}

export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  if (context) logger.addContext(context);
  metrics.captureColdStartMetric();
  try {
    return await deliverBatch(event.Records, {
      deliver: async (webhook, body) =>
        deliverWebhook({
          url: settings.url,
          secret: await secret.current(),
          eventId: webhook.id,
          body,
          now: new Date(),
          timeoutMs: settings.timeoutMs,
          fetch: globalThis.fetch,
        }),
      postpone: async (receiptHandle, seconds) => {
        await sqs().send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: settings.queueUrl,
            ReceiptHandle: receiptHandle,
            VisibilityTimeout: seconds,
          }),
        );
      },
      retryDelaySeconds: (attempt) =>
        retryDelaySeconds(attempt, Math.random, settings.retryBaseSeconds, settings.retryCapSeconds),
      maxAttempts: WEBHOOK_MAX_ATTEMPTS,
      concurrency: WEBHOOK_DELIVERY.concurrency,
      report,
    });
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};
