import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ObjectStore, UploadedPart } from '../core/ports';
import { DEPENDENCY_TIMEOUTS } from './dependency-outage';
import { type OnFirstUse, resolve } from './lazy';

/** S3 answers these when the multipart upload was completed or aborted already. */
const isGone = (error: unknown): boolean => {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'NoSuchUpload' || name === 'NotFound' || name === 'NoSuchKey' || $metadata?.httpStatusCode === 404;
};

const quoted = (etag: string): string => `"${etag.replace(/^"(.*)"$/, '$1')}"`;

/**
 * The S3 client every handler uses. Checksums only where S3 requires them: presigned part URLs
 * must not carry a checksum the client cannot know in advance (and s3rver mangles streamed
 * uploads otherwise). Path-style URLs for S3-compatible servers on loopback. Bounded connection
 * and idle timeouts (`DEPENDENCY_TIMEOUTS`), so an unreachable S3 fails fast instead of hanging.
 */
export function createS3Client(options: { readonly forcePathStyle: boolean }): S3Client {
  return new S3Client({
    forcePathStyle: options.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { ...DEPENDENCY_TIMEOUTS },
  });
}

/**
 * One bucket. The S3 client must be built with `createS3Client` (checksum and path settings); it
 * may be passed as a function that builds it on first use.
 */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: OnFirstUse<S3Client>,
    private readonly bucket: string,
  ) {}

  private get client(): S3Client {
    return resolve(this.s3);
  }

  async createMultipartUpload(key: string, contentType: string): Promise<string> {
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }),
    );
    if (!UploadId) throw new Error('S3 returned no UploadId');
    return UploadId;
  }

  presignUploadPart(key: string, uploadId: string, partNumber: number, expiresInSeconds: number): Promise<string> {
    const command = new UploadPartCommand({
      Bucket: this.bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
    });
    return getSignedUrl(this.client, command, { expiresIn: expiresInSeconds });
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[] | undefined> {
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }),
        );
        for (const part of page.Parts ?? [])
          parts.push({ partNumber: part.PartNumber ?? 0, etag: part.ETag ?? '', sizeBytes: part.Size ?? 0 });
        marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
      } while (marker);
    } catch (error) {
      if (isGone(error)) return undefined;
      throw error;
    }
    return parts;
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
  ): Promise<boolean> {
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.partNumber, ETag: quoted(part.etag) })) },
        }),
      );
      return true;
    } catch (error) {
      if (isGone(error)) return false;
      throw error;
    }
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }

  async headObject(key: string): Promise<{ sizeBytes: number } | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { sizeBytes: head.ContentLength ?? 0 };
    } catch (error) {
      if (isGone(error)) return undefined;
      throw error;
    }
  }

  async readRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const { Body } = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${end}` }),
    );
    return Body ? Body.transformToByteArray() : new Uint8Array();
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (keys.length > 0) {
        const result = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }),
        );
        if (result.Errors?.length)
          throw new Error(`S3 refused to delete ${result.Errors.length} object(s) under ${prefix}`);
        deleted += keys.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }
}
