/**
 * S3's event notifications, as S3 puts them on an SQS queue: the twin publishes them when an
 * upload completes (the S3-compatible server has no notifications of its own), and the tests
 * build them the same way.
 */

/** How S3 writes a key into an event notification: URL-encoded, `+` for spaces, slashes left as they are. */
export const s3EncodeKey = (key: string): string =>
  key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');

export interface CreatedObjectEvent {
  readonly bucket: string;
  readonly key: string;
  /** @default 1 */
  readonly size?: number;
  /** @default the empty object's MD5 */
  readonly eTag?: string;
  /** @default 'ObjectCreated:CompleteMultipartUpload' */
  readonly eventName?: string;
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** The notification configuration's id. @default 'upload-complete' */
  readonly configurationId?: string;
}

/** The message body S3 sends when an object is created. */
export function s3Notification(event: CreatedObjectEvent): string {
  const { bucket } = event;
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: event.region ?? 'eu-west-1',
        eventTime: new Date().toISOString(),
        eventName: event.eventName ?? 'ObjectCreated:CompleteMultipartUpload',
        userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'EXAMPLE', 'x-amz-id-2': 'EXAMPLE' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: event.configurationId ?? 'upload-complete',
          bucket: { name: bucket, ownerIdentity: { principalId: 'EXAMPLE' }, arn: `arn:aws:s3:::${bucket}` },
          object: {
            key: s3EncodeKey(event.key),
            size: event.size ?? 1,
            eTag: event.eTag ?? 'd41d8cd98f00b204e9800998ecf8427e',
            sequencer: Date.now().toString(16).toUpperCase(),
          },
        },
      },
    ],
  });
}
