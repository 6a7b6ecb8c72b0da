import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import fc from 'fast-check';
import { type LocalS3, startLocalS3 } from '../../local/local-s3';

/**
 * The local S3's multipart calls as the upload API uses them: ListParts lists only the parts
 * whose upload finished (a browser PUT cut off by a reload leaves none behind), and an upload
 * that was completed or aborted is gone (`NoSuchUpload`).
 */

const BUCKET = 'uploads-bucket';
const MiB = 1024 ** 2;

let directory: string;
let server: LocalS3;
let s3: S3Client;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'vod-local-s3-'));
  server = await startLocalS3({ port: 0, directory, buckets: [BUCKET] });
  s3 = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    endpoint: server.endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});

afterAll(async () => {
  s3?.destroy();
  await server?.close();
  rmSync(directory, { recursive: true, force: true });
});

async function createUpload(key: string): Promise<string> {
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ContentType: 'video/mp4' }),
  );
  return UploadId as string;
}

async function uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer) {
  const { ETag } = await s3.send(
    new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }),
  );
  return { PartNumber: partNumber, ETag };
}

/** CompleteMultipartUpload of `key` with `parts`, through `client` (the test's server by default). */
function completeParts(
  key: string,
  uploadId: string,
  parts: readonly { PartNumber: number; ETag?: string }[],
  client: S3Client = s3,
) {
  return client.send(
    new CompleteMultipartUploadCommand({
      Bucket: BUCKET,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: [...parts] },
    }),
  );
}

async function listParts(key: string, uploadId: string) {
  const { Parts } = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
  return (Parts ?? []).map((part) => ({ partNumber: part.PartNumber, size: part.Size, etag: part.ETag }));
}

/** The S3 error name ListParts answers with, or `undefined` if it answers. */
const listPartsError = (key: string, uploadId: string) =>
  listParts(key, uploadId).then(
    () => undefined,
    (error: Error) => error.name,
  );

/** The folder the server keeps an upload's parts in, and what it holds. */
async function uploadFolderEntries(uploadId: string): Promise<string[]> {
  const paths = (await fs.readdir(directory, { recursive: true })) as string[];
  const folder = paths.find((path) => basename(path) === uploadId);
  return folder === undefined ? [] : fs.readdir(join(directory, folder));
}

/**
 * Starts a PUT that announces `contentLength` bytes, sends `sent`, waits until the server has
 * begun storing them, then cuts the connection, as a browser does when the page is reloaded.
 */
async function cutOffPut(url: string, contentLength: number, sent: Buffer, uploadId: string): Promise<void> {
  const before = new Set(await uploadFolderEntries(uploadId));
  const outgoing = httpRequest(url, { method: 'PUT', headers: { 'content-length': String(contentLength) } });
  outgoing.on('error', () => {}); // the cut itself
  await new Promise<void>((resolve, reject) => outgoing.write(sent, (error) => (error ? reject(error) : resolve())));
  const deadline = Date.now() + 10_000;
  while (!(await uploadFolderEntries(uploadId)).some((entry) => !before.has(entry))) {
    if (Date.now() > deadline) throw new Error('the server did not start storing the part');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  outgoing.destroy();
}

it('lists only the parts that finished when a part’s PUT is cut off, and takes that part again in full', async () => {
  // Prepare: part 1 uploaded in full; part 2's PUT announces 6 MiB and stops after 1 MiB.
  const key = 'uploads/cut-off.mp4';
  const part1 = randomBytes(5 * MiB);
  const part2 = randomBytes(6 * MiB);
  const uploadId = await createUpload(key);
  const first = await uploadPart(key, uploadId, 1, part1);
  const url = await getSignedUrl(
    s3,
    new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: 2 }),
    { expiresIn: 300 },
  );
  await cutOffPut(url, part2.length, part2.subarray(0, MiB), uploadId);

  // Act: list the parts, then upload part 2 again in full and complete.
  const listedAfterCut = await listParts(key, uploadId);
  const second = await uploadPart(key, uploadId, 2, part2);
  const listedAfterRetry = await listParts(key, uploadId);
  await completeParts(key, uploadId, [first, second]);
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const stored = Buffer.from(
    await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );

  // Assess
  expect(listedAfterCut).toEqual([{ partNumber: 1, size: part1.length, etag: first.ETag }]);
  expect(listedAfterRetry).toEqual([
    { partNumber: 1, size: part1.length, etag: first.ETag },
    { partNumber: 2, size: part2.length, etag: second.ETag },
  ]);
  expect(stored.length).toBe(part1.length + part2.length);
  expect(stored.equals(Buffer.concat([part1, part2]))).toBe(true);
});

it('answers NoSuchUpload to ListParts once the upload is aborted', async () => {
  // Prepare
  const key = 'uploads/aborted.mp4';
  const uploadId = await createUpload(key);
  await uploadPart(key, uploadId, 1, randomBytes(1024));
  const before = await listPartsError(key, uploadId);

  // Act
  await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));

  // Assess
  expect(before).toBeUndefined();
  expect(await listPartsError(key, uploadId)).toBe('NoSuchUpload');
});

it('refuses to complete an upload whose part other than the last is under 5 MiB, as S3 does, and keeps the upload', async () => {
  // Prepare: part 1 is 1 KiB short of 5 MiB.
  const key = 'uploads/too-small.mp4';
  const uploadId = await createUpload(key);
  const tooSmall = await uploadPart(key, uploadId, 1, randomBytes(5 * MiB - 1024));
  const last = await uploadPart(key, uploadId, 2, randomBytes(10));

  // Act
  const refused = await completeParts(key, uploadId, [tooSmall, last]).then(
    () => undefined,
    (error: Error & { $metadata?: { httpStatusCode?: number } }) => ({
      name: error.name,
      status: error.$metadata?.httpStatusCode,
    }),
  );
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
    () => 'found',
    (error: Error) => error.name,
  );
  const partsAfter = await listParts(key, uploadId);
  // The small part alone is the last part, which may be of any size.
  const alone = await completeParts(key, uploadId, [tooSmall]);

  // Assess
  expect(refused).toEqual({ name: 'EntityTooSmall', status: 400 });
  expect(head).toBe('NotFound');
  expect(partsAfter.map((part) => part.partNumber)).toEqual([1, 2]);
  expect(alone.Key).toBe(key);
});

it('answers NoSuchUpload to ListParts once the upload is completed', async () => {
  // Prepare
  const key = 'uploads/completed.mp4';
  const uploadId = await createUpload(key);
  const part = await uploadPart(key, uploadId, 1, randomBytes(1024));

  // Act
  await completeParts(key, uploadId, [part]);

  // Assess
  expect(await listPartsError(key, uploadId)).toBe('NoSuchUpload');
});

/** Uploads `bodies` as the parts of `key` and completes the upload; returns CompleteMultipartUpload's answer. */
async function completedUpload(key: string, bodies: readonly Buffer[]) {
  const uploadId = await createUpload(key);
  const parts = await Promise.all(bodies.map((body, index) => uploadPart(key, uploadId, index + 1, body)));
  const completed = await completeParts(key, uploadId, parts);
  return { uploadId, completed };
}

async function getBytes(key: string, range?: string) {
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: range }));
  return { object, bytes: Buffer.from((await object.Body?.transformToByteArray()) ?? []) };
}

/** Files under the server's folder whose names end with `suffix`. */
async function filesEndingWith(suffix: string): Promise<string[]> {
  const files = (await fs.readdir(directory, { recursive: true })) as string[];
  return files.filter((file) => file.endsWith(suffix));
}

describe('a completed multipart upload, kept as its parts', () => {
  const bodies = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1234)];
  const whole = Buffer.concat(bodies);

  it('reads back as the parts in order, under S3’s multipart ETag, with no upload folder or scratch file left', async () => {
    // Prepare
    const key = 'uploads/joined.mp4';
    const partDigests = Buffer.concat(bodies.map((body) => createHash('md5').update(body).digest()));

    // Act
    const { uploadId, completed } = await completedUpload(key, bodies);
    const { object, bytes } = await getBytes(key);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'uploads/joined' }));

    // Assess
    const multipartETag = `"${createHash('md5').update(partDigests).digest('hex')}-3"`;
    expect(completed.ETag).toBe(multipartETag);
    expect(object.ETag).toBe(multipartETag);
    expect(bytes.equals(whole)).toBe(true);
    expect(head.ContentLength).toBe(whole.length);
    expect(listed.Contents?.map(({ Key, Size }) => ({ Key, Size }))).toEqual([{ Key: key, Size: whole.length }]);
    expect(await uploadFolderEntries(uploadId)).toEqual([]);
    for (const scratch of ['.incoming', '.sparse', '.replaced']) expect(await filesEndingWith(scratch)).toEqual([]);
  });

  it('answers any byte range with the same bytes as the parts laid end to end', async () => {
    // Prepare
    const key = 'uploads/ranges.mp4';
    await completedUpload(key, bodies);

    // Act & assess: ranges that start, end or cross anywhere, part boundaries included
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: whole.length - 1 }), fc.nat({ max: 2 * MiB }), async (start, length) => {
        const end = Math.min(start + length, whole.length - 1);
        const { bytes } = await getBytes(key, `bytes=${start}-${end}`);
        expect(bytes.equals(whole.subarray(start, end + 1))).toBe(true);
      }),
      {
        numRuns: 40,
        examples: [
          [5 * MiB - 1, 1],
          [10 * MiB - 10, 100],
          [0, 0],
        ],
      },
    );
  });

  it('is replaced whole by a plain PUT of the key, and its parts are gone', async () => {
    // Prepare
    const key = 'uploads/replaced.mp4';
    await completedUpload(key, bodies);
    const replacement = randomBytes(3000);

    // Act
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: replacement }));
    const { bytes } = await getBytes(key);

    // Assess
    expect(bytes.equals(replacement)).toBe(true);
    expect(await filesEndingWith('replaced.mp4._S3rver_parts')).toEqual([]);
  });

  it('is replaced whole by another completed upload of the key', async () => {
    // Prepare
    const key = 'uploads/completed-twice.mp4';
    await completedUpload(key, bodies);
    const second = [randomBytes(5 * MiB), randomBytes(10)];

    // Act
    await completedUpload(key, second);
    const { bytes } = await getBytes(key);

    // Assess
    expect(bytes.equals(Buffer.concat(second))).toBe(true);
  });

  it('copies to an object of its own, which outlives the original', async () => {
    // Prepare
    const key = 'uploads/original.mp4';
    await completedUpload(key, bodies);

    // Act
    await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'uploads/copy.mp4', CopySource: `${BUCKET}/${key}` }));
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const { bytes } = await getBytes('uploads/copy.mp4');

    // Assess
    expect(bytes.equals(whole)).toBe(true);
  });

  it('puts the upload back as it was when completing fails midway, so that a retry completes it', async () => {
    // Prepare: the disk refuses the first file the completion opens.
    const key = 'uploads/retried.mp4';
    const uploadId = await createUpload(key);
    const parts = await Promise.all(bodies.map((body, index) => uploadPart(key, uploadId, index + 1, body)));
    const open = jest
      .spyOn(fs, 'open')
      .mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));

    // Act: the SDK sends the same CompleteMultipartUpload again after the 500.
    let opens = 0;
    try {
      await completeParts(key, uploadId, parts);
    } finally {
      opens = open.mock.calls.length;
      open.mockRestore();
    }
    const { bytes } = await getBytes(key);

    // Assess: the failure happened, and the retry found the upload.
    expect(opens).toBeGreaterThanOrEqual(2);
    expect(bytes.equals(whole)).toBe(true);
  });

  it('leaves nothing behind once deleted', async () => {
    // Prepare
    const key = 'deleted/whole.mp4';
    await completedUpload(key, bodies);

    // Act
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const read = await getBytes(key).then(
      () => 'found',
      (error: Error) => error.name,
    );

    // Assess
    expect(read).toBe('NoSuchKey');
    expect(await filesEndingWith('whole.mp4._S3rver_parts')).toEqual([]);
    expect((await fs.readdir(join(directory, BUCKET))).filter((entry) => entry.startsWith('deleted'))).toEqual([]);
  });
});

it('refuses a part number outside 1 to 10000 and stores nothing for it', async () => {
  // Prepare
  const key = 'uploads/part-number.mp4';
  const uploadId = await createUpload(key);

  // Act
  const answers = await Promise.all(
    ['0', '10001', 'x'].map((partNumber) =>
      fetch(`${server.endpoint}/${BUCKET}/${key}?partNumber=${partNumber}&uploadId=${uploadId}`, {
        method: 'PUT',
        body: 'bytes',
      }).then(async (response) => ({ status: response.status, body: await response.text() })),
    ),
  );

  // Assess
  for (const answer of answers) {
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('<Code>InvalidArgument</Code>');
  }
  expect(await listParts(key, uploadId)).toEqual([]);
});

describe('a CompleteMultipartUpload that takes a while', () => {
  // Committed at once here, so that even a small upload is answered the way S3 answers one
  // that takes minutes to join.
  let slowDirectory: string;
  let slowServer: LocalS3;
  let slowS3: S3Client;

  beforeAll(async () => {
    slowDirectory = mkdtempSync(join(tmpdir(), 'vod-local-s3-slow-'));
    slowServer = await startLocalS3({ port: 0, directory: slowDirectory, buckets: [BUCKET], completeCommitAfterMs: 0 });
    slowS3 = new S3Client({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      endpoint: slowServer.endpoint,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });

  afterAll(async () => {
    slowS3?.destroy();
    await slowServer?.close();
    rmSync(slowDirectory, { recursive: true, force: true });
  });

  async function startUpload(key: string, parts: readonly Buffer[]) {
    const { UploadId } = await slowS3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const uploaded = [];
    for (const [index, body] of parts.entries()) {
      const { ETag } = await slowS3.send(
        new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: index + 1, Body: body }),
      );
      uploaded.push({ PartNumber: index + 1, ETag: ETag as string });
    }
    return { uploadId: UploadId as string, uploaded };
  }

  /** POSTs CompleteMultipartUpload through a presigned URL and gives back the raw answer. */
  async function completeRaw(key: string, uploadId: string, parts: readonly { PartNumber: number; ETag: string }[]) {
    const url = await getSignedUrl(
      slowS3,
      new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }),
      { expiresIn: 300 },
    );
    const body = `<CompleteMultipartUpload>${parts.map((part) => `<Part><PartNumber>${part.PartNumber}</PartNumber><ETag>${part.ETag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const response = await fetch(url, { method: 'POST', body });
    return { status: response.status, text: await response.text() };
  }

  it('is answered 200 at once, and the result follows the spaces that keep the connection alive', async () => {
    // Prepare
    const key = 'uploads/slow.mp4';
    const parts = [randomBytes(5 * MiB), randomBytes(1024)];
    const { uploadId, uploaded } = await startUpload(key, parts);

    // Act
    const answer = await completeRaw(key, uploadId, uploaded);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n *<CompleteMultipartUploadResult>/);
    const stored = await slowS3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const bytes = Buffer.from(
      await (stored.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    // Compared whole, not element by element: toEqual on megabytes takes most of a minute.
    expect(bytes.equals(Buffer.concat(parts))).toBe(true);
  });

  it('reads back through the SDK as the same result', async () => {
    // Prepare
    const key = 'uploads/slow-sdk.mp4';
    const { uploadId, uploaded } = await startUpload(key, [randomBytes(5 * MiB), randomBytes(10)]);

    // Act
    const result = await completeParts(key, uploadId, uploaded, slowS3);

    // Assess
    expect(result.Key).toBe(key);
    expect(result.ETag).toMatch(/^"[0-9a-f]+(-2)?"$/);
  });

  it('puts a failure in the body of the 200, which the SDK still raises as the S3 error it is', async () => {
    // Prepare
    const key = 'uploads/slow-bad.mp4';
    const { uploadId, uploaded } = await startUpload(key, [randomBytes(5 * MiB), randomBytes(10)]);
    const wrong = uploaded.map((part) => ({ ...part, ETag: '"00000000000000000000000000000000"' }));

    // Act
    const raw = await completeRaw(key, uploadId, wrong);
    const viaSdk = await completeParts(key, uploadId, wrong, slowS3).then(
      () => undefined,
      (error: Error) => error.name,
    );

    // Assess
    expect(raw.status).toBe(200);
    expect(raw.text).toMatch(/<Error><Code>InvalidPart<\/Code>/);
    expect(viaSdk).toBe('InvalidPart');
  });
});
