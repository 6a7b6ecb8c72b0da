import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** Messages in a queue: visible, in flight or delayed. */
export async function messagesIn(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/**
 * Receives batches until the queue shows nothing more, handing each batch to `onBatch`.
 * `visibilityTimeout` overrides the queue's own for these receives.
 */
async function receiveUntilEmpty(
  sqs: SQSClient,
  queueUrl: string,
  visibilityTimeout: number | undefined,
  onBatch: (messages: Message[]) => Promise<void>,
): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        ...(visibilityTimeout === undefined ? {} : { VisibilityTimeout: visibilityTimeout }),
      }),
    );
    if (Messages.length === 0) return all;
    await onBatch(Messages);
    all.push(...Messages);
  }
}

/** Receives every message now visible on a queue, and keeps them in flight (hidden) for 60 s. */
export const receiveAll = (sqs: SQSClient, queueUrl: string): Promise<Message[]> =>
  receiveUntilEmpty(sqs, queueUrl, 60, async () => undefined);

/** Takes every message now visible off a queue (receives and deletes them). */
export const takeAll = (sqs: SQSClient, queueUrl: string): Promise<Message[]> =>
  receiveUntilEmpty(sqs, queueUrl, undefined, async (messages) => {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
      }),
    );
  });
