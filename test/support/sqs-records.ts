import type { SQSRecord } from 'aws-lambda';

/** An SQS record as Lambda's event source mapping hands it to a function. */
export function sqsRecord(options: {
  readonly messageId: string;
  readonly body: string;
  /** The queue's name, in the record's ARN. */
  readonly queue: string;
  /** @default 1 */
  readonly receiveCount?: number;
  /** @default `receipt-of-<messageId>-<receiveCount>`: a new handle for every receive, as SQS gives */
  readonly receiptHandle?: string;
  /** @default now */
  readonly sentAt?: number;
  /** @default sentAt */
  readonly firstReceivedAt?: number;
}): SQSRecord {
  const receiveCount = options.receiveCount ?? 1;
  const sentAt = options.sentAt ?? Date.now();
  return {
    messageId: options.messageId,
    receiptHandle: options.receiptHandle ?? `receipt-of-${options.messageId}-${receiveCount}`,
    body: options.body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(sentAt),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(options.firstReceivedAt ?? sentAt),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:eu-west-1:000000000000:${options.queue}`,
    awsRegion: 'eu-west-1',
  };
}
