import { createHash } from 'node:crypto';
import type { ObjectStore, UploadedPart } from '../../../lambda/core/ports';
import { S3_MIN_PART_BYTES } from '../../../lambda/core/upload-plan';

/** An error as the S3 client throws it: S3's code as the name, which `S3ObjectStore` reads. */
export class S3Refusal extends Error {
  constructor(
    readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

interface StoredPart {
  readonly etag: string;
  readonly body: Uint8Array;
}

interface OpenUpload {
  readonly key: string;
  readonly parts: Map<number, StoredPart>;
}

/** The parts of a completed upload stay separate: joining megabytes would cost every test. */
interface StoredObject {
  readonly chunks: readonly Uint8Array[];
  readonly sizeBytes: number;
}

/** Tests upload the same large bodies again and again, to many stores: each is hashed once. */
const digests = new WeakMap<Uint8Array, string>();

function md5(body: Uint8Array): string {
  let digest = digests.get(body);
  if (digest === undefined) {
    digest = createHash('md5').update(body).digest('hex');
    digests.set(body, digest);
  }
  return digest;
}

const quoted = (etag: string): string => `"${etag.replace(/^"(.*)"$/, '$1')}"`;

/**
 * One bucket in memory, as `S3ObjectStore` shows S3 to the core: an upload that was completed or
 * aborted is gone (listParts `undefined`, complete `false`, abort no error); completing checks
 * the part list as S3 does (ascending, each part's ETag, 5 MiB but for the last); deleting by
 * prefix deletes objects, not open uploads. ETags are the quoted MD5 of the part, as S3's.
 *
 * Tests act as the uploader through `uploadPart`, and look inside with `objectKeys` and
 * `openUploads`. A part body is kept, not copied: do not change it after uploading it.
 */
export class InMemoryObjectStore implements ObjectStore {
  private readonly uploads = new Map<string, OpenUpload>();
  private readonly objects = new Map<string, StoredObject>();
  private uploadCount = 0;

  constructor(readonly bucket = 'bucket') {}

  async createMultipartUpload(key: string, _contentType: string): Promise<string> {
    const uploadId = `${this.bucket}-upload-${++this.uploadCount}`;
    this.uploads.set(uploadId, { key, parts: new Map() });
    return uploadId;
  }

  /** Presigning is local arithmetic in the SDK: it works offline, even for an upload that is gone. */
  async presignUploadPart(key: string, uploadId: string, partNumber: number, expiresInSeconds: number) {
    const query = new URLSearchParams({
      uploadId,
      partNumber: String(partNumber),
      'X-Amz-Expires': String(expiresInSeconds),
    });
    return `memory://${this.bucket}/${key}?${query}`;
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[] | undefined> {
    const upload = this.openUpload(key, uploadId);
    if (!upload) return undefined;
    return [...upload.parts.entries()]
      .sort(([a], [b]) => a - b)
      .map(([partNumber, part]) => ({ partNumber, etag: part.etag, sizeBytes: part.body.length }));
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
  ): Promise<boolean> {
    const upload = this.openUpload(key, uploadId);
    if (!upload) return false;
    const chunks = checkedParts(upload, parts).map((part) => part.body);
    this.uploads.delete(uploadId);
    this.objects.set(key, { chunks, sizeBytes: chunks.reduce((sum, chunk) => sum + chunk.length, 0) });
    return true;
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    if (this.openUpload(key, uploadId)) this.uploads.delete(uploadId);
  }

  async headObject(key: string): Promise<{ sizeBytes: number } | undefined> {
    const object = this.objects.get(key);
    return object && { sizeBytes: object.sizeBytes };
  }

  async readRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const object = this.objects.get(key);
    if (!object) throw new S3Refusal('NoSuchKey', 'The specified key does not exist.');
    return Buffer.concat(object.chunks).subarray(start, end + 1);
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    const keys = this.objectKeys().filter((key) => key.startsWith(prefix));
    for (const key of keys) this.objects.delete(key);
    return keys.length;
  }

  /** What a browser's PUT to a presigned part URL does; answers the part's ETag, quoted. */
  async uploadPart(key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<string> {
    const upload = this.openUpload(key, uploadId);
    if (!upload) throw new S3Refusal('NoSuchUpload', 'The specified upload does not exist.');
    const etag = quoted(md5(body));
    upload.parts.set(partNumber, { etag, body });
    return etag;
  }

  /** A whole object, as a transcoder writes its outputs. */
  async putObject(key: string, body: Uint8Array): Promise<void> {
    this.objects.set(key, { chunks: [body], sizeBytes: body.length });
  }

  objectKeys(): string[] {
    return [...this.objects.keys()].sort();
  }

  /** The uploads neither completed nor aborted. */
  openUploads(): { key: string; uploadId: string }[] {
    return [...this.uploads.entries()].map(([uploadId, { key }]) => ({ key, uploadId }));
  }

  private openUpload(key: string, uploadId: string): OpenUpload | undefined {
    const upload = this.uploads.get(uploadId);
    return upload?.key === key ? upload : undefined;
  }
}

/** S3's checks of a CompleteMultipartUpload, in S3's order; the stored parts, in the list's order. */
function checkedParts(upload: OpenUpload, parts: readonly { partNumber: number; etag: string }[]): StoredPart[] {
  if (parts.some((part, index) => index > 0 && part.partNumber <= (parts[index - 1]?.partNumber ?? 0)))
    throw new S3Refusal('InvalidPartOrder', 'The list of parts was not in ascending order.');
  const stored = parts.map((part) => {
    const found = upload.parts.get(part.partNumber);
    if (found?.etag !== quoted(part.etag))
      throw new S3Refusal('InvalidPart', 'One or more of the specified parts could not be found.');
    return found;
  });
  if (stored.slice(0, -1).some((part) => part.body.length < S3_MIN_PART_BYTES))
    throw new S3Refusal('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size');
  return stored;
}
