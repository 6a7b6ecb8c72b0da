import * as z from 'zod';

/**
 * S3's event notification, as SQS carries it in a message body. Only what the pipeline reads is
 * checked; anything else S3 adds is ignored. A body that is not one (garbage, a test event)
 * names no object, and the message is dropped rather than retried.
 */

const S3RecordSchema = z.object({
  eventSource: z.literal('aws:s3'),
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({ key: z.string().min(1), size: z.number().int().nonnegative().optional() }),
  }),
});

const NotificationSchema = z.object({ Records: z.array(z.unknown()).max(100) });

export interface CreatedObject {
  readonly bucket: string;
  /** Decoded: S3 URL-encodes keys in notifications, with `+` for spaces. */
  readonly key: string;
}

export type ParsedNotification =
  | { readonly objects: readonly CreatedObject[]; readonly ignored: readonly string[] }
  | { readonly unreadable: string };

function decodeKey(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The objects created, from one message body; records of other kinds are listed as ignored. */
export function parseUploadNotification(body: string): ParsedNotification {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { unreadable: 'the body is not JSON' };
  }
  if ((json as { Event?: unknown } | null)?.Event === 's3:TestEvent') return { unreadable: "S3's test event" };
  const notification = NotificationSchema.safeParse(json);
  if (!notification.success) return { unreadable: 'the body is not an S3 event notification' };
  const objects: CreatedObject[] = [];
  const ignored: string[] = [];
  for (const raw of notification.data.Records) {
    const record = S3RecordSchema.safeParse(raw);
    if (!record.success) {
      ignored.push('a record that is not an S3 event');
      continue;
    }
    if (!record.data.eventName.startsWith('ObjectCreated:')) {
      ignored.push(`a ${record.data.eventName.slice(0, 100)} event`);
      continue;
    }
    const key = decodeKey(record.data.s3.object.key);
    if (key === undefined) ignored.push('a key that does not decode');
    else objects.push({ bucket: record.data.s3.bucket.name, key });
  }
  return { objects, ignored };
}
