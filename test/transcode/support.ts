import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Helpers shared by the transcoding pipeline's suites. */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How S3 writes a key into an event notification: URL-encoded, `+` for spaces, slashes left as they are. */
export const s3EncodeKey = (key: string): string =>
  key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');

/** The body S3 puts on the queue when an object is created (here, by completing a multipart upload). */
export function s3Notification(
  bucket: string,
  key: string,
  size = 1,
  eventName = 'ObjectCreated:CompleteMultipartUpload',
): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'eu-west-1',
        eventTime: new Date().toISOString(),
        eventName,
        userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'EXAMPLE', 'x-amz-id-2': 'EXAMPLE' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'upload-complete',
          bucket: { name: bucket, ownerIdentity: { principalId: 'EXAMPLE' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: s3EncodeKey(key), size, eTag: 'd41d8cd98f00b204e9800998ecf8427e', sequencer: '0065A' },
        },
      },
    ],
  });
}

export async function send(sqs: SQSClient, queueUrl: string, body: string): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
}

export { messagesIn, receiveAll } from '../support/queues';
