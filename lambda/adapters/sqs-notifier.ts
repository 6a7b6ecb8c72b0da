import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Notifier } from '../core/ports';
import type { WebhookEvent } from '../core/webhook-event';
import { DEPENDENCY_TIMEOUTS } from './dependency-outage';
import { type OnFirstUse, resolve } from './lazy';

/**
 * The SQS client every handler uses. Its endpoint comes from the region (or AWS_ENDPOINT_URL_SQS
 * in the twin), never from a queue URL's host: the twin's SQS server names its queues
 * `sqs.<region>.localhost`, which need not resolve. Bounded timeouts, as for every dependency.
 */
export function createSqsClient(): SQSClient {
  return new SQSClient({ useQueueUrlAsEndpoint: false, requestHandler: { ...DEPENDENCY_TIMEOUTS } });
}

/**
 * Hands webhook events to the webhook queue; the delivery handler signs, sends and retries them.
 * The message body is the webhook's body, delivered byte for byte on every attempt; the `type`
 * attribute lets a queue consumer filter without parsing it.
 */
export class SqsNotifier implements Notifier {
  constructor(
    private readonly client: OnFirstUse<SQSClient>,
    private readonly queueUrl: string,
  ) {}

  async publish(event: WebhookEvent): Promise<void> {
    await resolve(this.client).send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(event),
        MessageAttributes: { type: { DataType: 'String', StringValue: event.type } },
      }),
    );
  }
}
