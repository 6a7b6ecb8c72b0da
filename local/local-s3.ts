import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UPLOAD_PART_CORS } from '../lambda/api/routes';
import { S3_MIN_PART_BYTES } from '../lambda/core/upload-plan';
import { storeCompletedUploadsAsParts } from './part-backed-objects';

// s3rver ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3Error = require('s3rver/lib/models/error');

/**
 * An S3-compatible server on loopback: s3rver, plus the multipart calls it lacks (ListParts,
 * AbortMultipartUpload) and S3's `NoSuchUpload` answer for an upload that was completed or
 * aborted. It keeps s3rver's own on-disk layout: `<bucket>/.../uploads/<uploadId>/<partNumber>`
 * with an `.md5` file beside each part. As in S3, a part whose upload was cut off is not listed,
 * and a part's bytes are replaced only by an upload of it that finishes. A completed upload is
 * kept as its parts (see part-backed-objects.ts). A CompleteMultipartUpload that takes a while is
 * answered as S3 answers it: 200 at once, spaces while it runs, then the result, or an error in
 * the body of that 200.
 */
export interface LocalS3 {
  /** The port it listens on: `options.port`, or the one the system chose for port 0. */
  readonly port: number;
  readonly endpoint: string;
  /** Calls `listener` after every object S3 creates (a PUT, a completed multipart upload, a copy). */
  onObjectCreated(listener: (object: CreatedObject) => void): void;
  close(): Promise<void>;
}

export interface CreatedObject {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly eTag: string;
  /** S3's event name, e.g. `ObjectCreated:CompleteMultipartUpload`. */
  readonly eventName: string;
}

/** s3rver names a completed multipart upload `ObjectCreated:Post`; S3 names it this. */
const EVENT_NAMES: Readonly<Record<string, string>> = {
  'ObjectCreated:Post': 'ObjectCreated:CompleteMultipartUpload',
  'ObjectCreated:Put': 'ObjectCreated:Put',
  'ObjectCreated:Copy': 'ObjectCreated:Copy',
};

interface S3rverEvent {
  Records: {
    eventName: string;
    s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } };
  }[];
}

/** The upload bucket's CORS rule as S3 XML, for buckets that browsers upload parts to. */
function uploadCorsXml(allowedOrigins: readonly string[]): string {
  const tags = (name: string, values: readonly string[]) =>
    values.map((value) => `<${name}>${value}</${name}>`).join('');
  return `<CORSConfiguration><CORSRule>${tags('AllowedOrigin', allowedOrigins)}${tags('AllowedMethod', UPLOAD_PART_CORS.allowedMethods)}${tags('AllowedHeader', UPLOAD_PART_CORS.allowedHeaders)}${tags('ExposeHeader', UPLOAD_PART_CORS.exposedHeaders)}<MaxAgeSeconds>${UPLOAD_PART_CORS.maxAgeSeconds}</MaxAgeSeconds></CORSRule></CORSConfiguration>`;
}

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  status: number;
  body: unknown;
  type: string;
  respond: boolean;
  readonly res: ServerResponse;
}

/**
 * How long a CompleteMultipartUpload runs, by default, before it is committed as a 200 and kept
 * alive. S3 does this so that joining many GiB does not look like an idle connection to the
 * client: the SDK clients here give up on a socket idle for 3 s. Quicker failures keep their status.
 */
const COMPLETE_KEEP_ALIVE_MS = 1000;
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

async function completeKeepingAlive(ctx: KoaContext, next: () => Promise<void>, commitAfterMs: number): Promise<void> {
  let ticker: NodeJS.Timeout | undefined;
  const commitNow = () => {
    ctx.respond = false;
    ctx.res.writeHead(200, { 'content-type': 'application/xml' });
    ctx.res.write(XML_DECLARATION);
    ticker = setInterval(() => ctx.res.write(' '), COMPLETE_KEEP_ALIVE_MS);
  };
  // 0 commits before anything is checked, so that tests see every outcome after a commit.
  let commit: NodeJS.Timeout | undefined;
  if (commitAfterMs > 0) commit = setTimeout(commitNow, commitAfterMs);
  else commitNow();
  let failure: unknown;
  try {
    await next();
  } catch (error) {
    failure = error;
  } finally {
    clearTimeout(commit);
    clearInterval(ticker);
  }
  if (ctx.respond !== false) {
    if (failure !== undefined) throw failure;
    return;
  }
  // Committed: whatever comes now goes in the body of the 200, as S3 sends it.
  const body =
    failure === undefined
      ? String(ctx.body ?? '')
      : ((failure as { toXML?: () => string }).toXML?.() ??
        `<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`);
  ctx.res.end(body.replace(XML_DECLARATION, ''));
}

const xml = (ctx: KoaContext, status: number, body: string) => {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
};

const NO_SUCH_UPLOAD_MESSAGE =
  'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.';

const noSuchUpload = (ctx: KoaContext) =>
  xml(ctx, 404, `<Error><Code>NoSuchUpload</Code><Message>${NO_SUCH_UPLOAD_MESSAGE}</Message></Error>`);

const exists = (path: string) =>
  fs.stat(path).then(
    () => true,
    () => false,
  );

const isPartNumber = (text: string) => /^[0-9]{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 10_000;

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Stores a part as s3rver does, but in a file of its own until every byte has arrived: s3rver
 * writes straight into `<partNumber>`, so a PUT cut off mid-body leaves a partial part without its
 * `.md5` (and a write that never ends). The `.md5` goes last, so a part listed has all its bytes.
 */
async function putPart(dir: string, partNumber: number, content: NodeJS.ReadableStream) {
  const part = join(dir, String(partNumber));
  const temporary = `${part}.${randomBytes(8).toString('hex')}.partial`;
  const hash = createHash('md5');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(content, measure, createWriteStream(temporary));
    const md5 = hash.digest('hex');
    await fs.writeFile(`${temporary}.md5`, md5);
    await fs.rm(`${part}.md5`, { force: true });
    await fs.rename(temporary, part);
    await fs.rename(`${temporary}.md5`, `${part}.md5`);
    return { size, md5 };
  } catch (error) {
    await Promise.all([fs.rm(temporary, { force: true }), fs.rm(`${temporary}.md5`, { force: true })]);
    throw error;
  }
}

/**
 * S3's checks of a CompleteMultipartUpload's part list: ascending part numbers (InvalidPartOrder),
 * each one uploaded with the ETag given (InvalidPart), and every part but the last at least 5 MiB
 * (EntityTooSmall), so that a client cut too fine fails here as it would on AWS. ETags come
 * without their quotes.
 */
async function checkCompletedParts(dir: string, parts: readonly { number: number; etag: string }[]): Promise<void> {
  if (parts.some((part, index) => index > 0 && part.number <= (parts[index - 1] as { number: number }).number)) {
    throw new S3Error(
      'InvalidPartOrder',
      'The list of parts was not in ascending order. Parts must be ordered by part number.',
    );
  }
  for (const part of parts) {
    const stored = await fs.readFile(join(dir, `${part.number}.md5`), 'utf8').catch(() => undefined);
    if (stored !== part.etag) {
      throw new S3Error(
        'InvalidPart',
        "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.",
      );
    }
  }
  for (const part of parts.slice(0, -1)) {
    const { size } = await fs.stat(join(dir, String(part.number)));
    if (size < S3_MIN_PART_BYTES) {
      throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', {
        ProposedSize: size,
        MinSizeAllowed: S3_MIN_PART_BYTES,
        PartNumber: part.number,
      });
    }
  }
}

/** The parts that finished uploading: those with their `.md5` beside them. */
async function listParts(dir: string): Promise<string[]> {
  const names = new Set(await fs.readdir(dir));
  const numbers = [...names]
    .filter((name) => /^[0-9]+$/.test(name) && names.has(`${name}.md5`))
    .map(Number)
    .sort((a, b) => a - b);
  return Promise.all(
    numbers.map(async (number) => {
      try {
        const [stat, md5] = await Promise.all([
          fs.stat(join(dir, String(number))),
          fs.readFile(join(dir, `${number}.md5`), 'utf8'),
        ]);
        return `<Part><PartNumber>${number}</PartNumber><ETag>"${md5}"</ETag><Size>${stat.size}</Size><LastModified>${stat.mtime.toISOString()}</LastModified></Part>`;
      } catch (error) {
        if (isMissing(error)) return ''; // being uploaded again right now
        throw error;
      }
    }),
  );
}

export interface LocalS3Options {
  /** 0 lets the system choose a free one, which cannot be taken by someone else meanwhile. */
  readonly port: number;
  /** Where objects are kept; they stay across restarts. */
  readonly directory: string;
  readonly buckets: readonly string[];
  /** Buckets that browsers PUT upload parts to, with the origins allowed to (CORS). */
  readonly uploadBuckets?: { readonly names: readonly string[]; readonly allowedOrigins: readonly string[] };
  /** After how long a CompleteMultipartUpload is committed as a 200 and kept alive with spaces; 0 commits at once. @default 1000 */
  readonly completeCommitAfterMs?: number;
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const uploads = options.uploadBuckets;
  const server = new S3rver({
    port: options.port,
    address: '127.0.0.1',
    silent: true,
    directory: options.directory,
    configureBuckets: options.buckets.map((name) =>
      uploads?.names.includes(name) ? { name, configs: [uploadCorsXml(uploads.allowedOrigins)] } : { name },
    ),
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
    const partNumber = ctx.query.partNumber;
    if (ctx.method === 'PUT' && partNumber !== undefined && !isPartNumber(partNumber))
      return xml(
        ctx,
        400,
        '<Error><Code>InvalidArgument</Code><Message>Part number must be an integer between 1 and 10000, inclusive</Message></Error>',
      );
    if (ctx.method === 'GET') {
      const parts = await listParts(dir);
      return xml(
        ctx,
        200,
        `<ListPartsResult><Bucket>${bucket}</Bucket><Key>${keyParts.join('/')}</Key><UploadId>${uploadId}</UploadId><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`,
      );
    }
    if (ctx.method === 'POST')
      return completeKeepingAlive(ctx, next, options.completeCommitAfterMs ?? COMPLETE_KEEP_ALIVE_MS);
    return next();
  };
  // Ahead of s3rver's own routes.
  server.middleware.unshift(multipart);
  const completedUploads = storeCompletedUploadsAsParts(server.store);
  // s3rver joins whatever parts it is given; S3 first checks each against the part it stored.
  server.store.putObjectMultipart = async (
    bucket: string,
    uploadId: string,
    parts: readonly { number: number; etag: string }[],
  ) => {
    const dir = uploadDir(bucket, uploadId);
    try {
      await checkCompletedParts(dir, parts);
      return await completedUploads.complete(bucket, dir, parts);
    } catch (error) {
      // Aborted (or completed by another call) while this one ran: S3 answers NoSuchUpload.
      if (!(await exists(dir))) throw new S3Error('NoSuchUpload', NO_SUCH_UPLOAD_MESSAGE);
      throw error;
    }
  };
  // UploadPart itself stays s3rver's (signature, CORS, ETag); only the storing is replaced.
  server.store.putPart = (bucket: string, uploadId: string, partNumber: string, content: NodeJS.ReadableStream) =>
    putPart(uploadDir(bucket, uploadId), Number(partNumber), content);
  const { port } = (await server.run()) as { port: number };
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    onObjectCreated(listener) {
      server.on('event', (event: S3rverEvent) => {
        for (const record of event.Records) {
          const eventName = EVENT_NAMES[record.eventName];
          if (eventName === undefined) continue;
          const { bucket, object } = record.s3;
          listener({
            bucket: bucket.name,
            key: object.key,
            size: object.size ?? 0,
            eTag: object.eTag ?? '',
            eventName,
          });
        }
      });
    },
    close: () => server.close(),
  };
}
