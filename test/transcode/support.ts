import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { s3Notification as notification } from '../../local/s3-notifications';

/** Helpers shared by the transcoding pipeline's suites. */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The body S3 puts on the queue when an object is created (by default, by completing a multipart upload). */
export const s3Notification = (
  bucket: string,
  key: string,
  size = 1,
  eventName = 'ObjectCreated:CompleteMultipartUpload',
): string => notification({ bucket, key, size, eventName });

export async function send(sqs: SQSClient, queueUrl: string, body: string): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
}

export { s3EncodeKey } from '../../local/s3-notifications';
export { messagesIn, receiveAll } from '../support/queues';
