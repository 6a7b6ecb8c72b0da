import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * What Lambda's SQS event source mapping does, against any SQS-compatible server: receive a
 * batch, invoke the handler with the event Lambda would build, delete the messages the handler
 * did not report as failed (all of them stay if it throws). Failed messages come back when their
 * visibility timeout ends; the queue's redrive policy moves them to its dead-letter queue.
 */
export interface SqsEventSourceOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;
  /** @default 10 */
  readonly batchSize?: number;
  /** Long polling while running. @default 1 */
  readonly waitTimeSeconds?: number;
  /** Told of handler errors and failed items (the messages are retried). */
  readonly onError?: (error: unknown) => void;
}

export class SqsEventSource {
  private running?: Promise<void>;
  private stopping = false;
  private queueArn?: string;

  constructor(private readonly options: SqsEventSourceOptions) {}

  /** Receives one batch (without waiting) and hands it to the handler; returns how many messages came. */
  async pollOnce(waitTimeSeconds = 0): Promise<number> {
    const { client, queueUrl } = this.options;
    this.queueArn ??= (
      await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: this.options.batchSize ?? 10,
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return 0;
    const records = Messages.map((message) => this.toRecord(message));
    let failed: Set<string>;
    try {
      const response = await this.options.handler({ Records: records });
      failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
      if (failed.size > 0) this.options.onError?.(new Error(`${failed.size} message(s) failed and will be retried`));
    } catch (error) {
      this.options.onError?.(error);
      return Messages.length;
    }
    const done = records.filter((record) => !failed.has(record.messageId));
    if (done.length > 0) {
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
        }),
      );
    }
    return Messages.length;
  }

  /** Polls until `stop()`, as the event source mapping does. */
  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = (async () => {
      while (!this.stopping) {
        try {
          await this.pollOnce(this.options.waitTimeSeconds ?? 1);
        } catch (error) {
          this.options.onError?.(error);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
    this.running = undefined;
  }

  private toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? '',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          { dataType: value.DataType ?? 'String', stringValue: value.StringValue },
        ]),
      ),
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.queueArn ?? '',
      awsRegion: this.queueArn?.split(':')[3] ?? '',
    };
  }
}
