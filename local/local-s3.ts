import { promises as fs } from 'node:fs';
import { join } from 'node:path';

// s3rver ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver');

/**
 * An S3-compatible server on loopback: s3rver, plus the multipart calls it lacks (ListParts,
 * AbortMultipartUpload) and S3's `NoSuchUpload` answer for an upload that was completed or
 * aborted. It keeps s3rver's own on-disk layout: `<bucket>/.../uploads/<uploadId>/<partNumber>`
 * with an `.md5` file beside each part.
 */
export interface LocalS3 {
  readonly endpoint: string;
  close(): Promise<void>;
}

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  status: number;
  body: unknown;
  type: string;
}

const xml = (ctx: KoaContext, status: number, body: string) => {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
};

const noSuchUpload = (ctx: KoaContext) =>
  xml(
    ctx,
    404,
    '<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.</Message></Error>',
  );

const exists = (path: string) =>
  fs.stat(path).then(
    () => true,
    () => false,
  );

export async function startLocalS3(options: {
  port: number;
  directory: string;
  buckets: readonly string[];
}): Promise<LocalS3> {
  const server = new S3rver({
    port: options.port,
    address: '127.0.0.1',
    silent: true,
    directory: options.directory,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  const uploadDir = (bucket: string, uploadId: string) =>
    join(server.store.getResourcePath(bucket, undefined, 'uploads'), uploadId);

  const multipart = async (ctx: KoaContext, next: () => Promise<void>) => {
    const uploadId = ctx.query.uploadId;
    const [, bucket, ...keyParts] = ctx.path.split('/');
    if (uploadId === undefined || !bucket || keyParts.length === 0 || !/^[0-9a-f]{32}$/.test(uploadId)) return next();
    const dir = uploadDir(bucket, uploadId);
    if (!(await exists(dir))) return noSuchUpload(ctx);
    if (ctx.method === 'DELETE') {
      await fs.rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = '';
      return;
    }
    if (ctx.method === 'GET') {
      const numbers = (await fs.readdir(dir))
        .filter((name) => /^[0-9]+$/.test(name))
        .map(Number)
        .sort((a, b) => a - b);
      const parts = await Promise.all(
        numbers.map(async (number) => {
          const [stat, md5] = await Promise.all([
            fs.stat(join(dir, String(number))),
            fs.readFile(join(dir, `${number}.md5`), 'utf8'),
          ]);
          return `<Part><PartNumber>${number}</PartNumber><ETag>"${md5}"</ETag><Size>${stat.size}</Size><LastModified>${stat.mtime.toISOString()}</LastModified></Part>`;
        }),
      );
      return xml(
        ctx,
        200,
        `<ListPartsResult><Bucket>${bucket}</Bucket><Key>${keyParts.join('/')}</Key><UploadId>${uploadId}</UploadId><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`,
      );
    }
    return next();
  };
  // Ahead of s3rver's own routes.
  server.middleware.unshift(multipart);
  await server.run();
  return { endpoint: `http://127.0.0.1:${options.port}`, close: () => server.close() };
}
