import { createHash, randomBytes } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { API_ROUTES } from '../../lambda/api/routes';
import { sharedRuntime } from '../../lambda/api/runtime';
import { type ApiHarness, type ApiResponse, startApiHarness } from '../support/api-harness';
import {
  catalogOf,
  createVideo,
  expectApiError,
  MIB,
  processingVideo,
  putPart,
  uploadedVideo,
  videoBody,
} from '../support/videos';

/** Small enough that a few MiB of parts can go over it. */
const MAX_UPLOAD_BYTES = 10 * MIB;
const URL_TTL_SECONDS = 900;

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) });
});
afterAll(async () => api.stop());

const unquote = (etag: string) => etag.replace(/^"(.*)"$/, '$1');
const md5 = (bytes: Buffer | Uint8Array) => createHash('md5').update(bytes).digest('hex');

describe('createVideo', () => {
  it('answers 201 with the video and presigned part URLs under a key the server chose, which expire', async () => {
    const before = Date.now();

    const response = await api.call('createVideo', {
      as: 'alice',
      body: videoBody({ title: 'Holiday', description: 'Beach\nday', fileName: 'my holiday.MP4', sizeBytes: 9 * MIB }),
    });

    expect(response.status).toBe(201);
    const { video, upload } = response.body;
    expect(video).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
      ownerId: 'alice',
      title: 'Holiday',
      description: 'Beach\nday',
      visibility: 'public',
      status: 'UPLOADING',
      contentType: 'video/mp4',
      sizeBytes: 9 * MIB,
      createdAt: expect.any(String),
      updatedAt: video.createdAt,
    });
    expect(upload).toEqual({
      uploadId: expect.any(String),
      partSize: 8 * MIB,
      partCount: 2,
      parts: [
        { partNumber: 1, url: expect.any(String) },
        { partNumber: 2, url: expect.any(String) },
      ],
      expiresAt: expect.any(String),
    });
    for (const part of upload.parts) {
      const url = new URL(part.url);
      expect(url.pathname).toBe(`/${api.servers.uploadBucket}/uploads/${video.id}/source`);
      expect(url.searchParams.get('uploadId')).toBe(upload.uploadId);
      expect(url.searchParams.get('partNumber')).toBe(String(part.partNumber));
      expect(url.searchParams.get('X-Amz-Expires')).toBe(String(URL_TTL_SECONDS));
      expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    }
    const expiresAt = Date.parse(upload.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + URL_TTL_SECONDS * 1000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + URL_TTL_SECONDS * 1000);
  });

  it('keeps the record of the upload in the catalog, with the server-chosen key', async () => {
    const { video, upload } = await createVideo(api, 'alice', { fileName: 'clip.mp4' });

    const record = await catalogOf(api).get(video.id);

    expect(record?.upload).toEqual({
      key: `uploads/${video.id}/source`,
      uploadId: upload.uploadId,
      partSize: 8 * MIB,
      partCount: 1,
    });
    expect(record?.fileName).toBe('clip.mp4');
  });

  it('accepts an allowed content type in any case and stores it in lower case', async () => {
    const response = await api.call('createVideo', {
      as: 'alice',
      body: videoBody({ contentType: 'Video/QuickTime' }),
    });

    expect(response.status).toBe(201);
    expect(response.body.video.contentType).toBe('video/quicktime');
  });

  it.each([
    ['a required field is missing', { title: undefined }],
    ['an unknown field is sent', { ownerId: 'mallory' }],
    ['the title is empty', { title: '' }],
    ['the file name is a path', { fileName: '../../etc/passwd' }],
    ['the size is not a whole number of bytes', { sizeBytes: 1.5 }],
    ['the size is zero', { sizeBytes: 0 }],
    ['the visibility is neither public nor private', { visibility: 'unlisted' }],
  ])('answers 400 when %s', async (_case, overrides) => {
    const response = await api.call('createVideo', { as: 'alice', body: videoBody(overrides) });

    expectApiError(response, 400, 'VALIDATION_FAILED');
  });

  it.each([
    ['is not JSON', '{"title": "unfinished'],
    ['is empty', ''],
  ])('answers 400 when the body %s', async (_case, rawBody) => {
    const response = await api.call('createVideo', {
      as: 'alice',
      rawBody,
      headers: { 'Content-Type': 'application/json' },
    });

    expectApiError(response, 400, 'BAD_REQUEST');
  });

  it('answers 413 when the size is over the configured maximum', async () => {
    const response = await api.call('createVideo', {
      as: 'alice',
      body: videoBody({ sizeBytes: MAX_UPLOAD_BYTES + 1 }),
    });

    expectApiError(response, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('accepts a size of exactly the configured maximum', async () => {
    const response = await api.call('createVideo', { as: 'alice', body: videoBody({ sizeBytes: MAX_UPLOAD_BYTES }) });

    expect(response.status).toBe(201);
  });

  it.each(['video/x-msvideo', 'image/png', 'application/octet-stream'])(
    'answers 415 for content type %s, which is not in the allow-list',
    async (contentType) => {
      const response = await api.call('createVideo', { as: 'alice', body: videoBody({ contentType }) });

      expectApiError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    },
  );

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp'])(
    'answers 415 when the body is sent as %s',
    async (contentType) => {
      const response = await api.call('createVideo', {
        as: 'alice',
        rawBody: JSON.stringify(videoBody()),
        headers: { 'Content-Type': contentType },
      });

      expectApiError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    },
  );

  it('writes nothing when it refuses a video', async () => {
    await api.call('createVideo', { as: 'refused', body: videoBody({ sizeBytes: MAX_UPLOAD_BYTES + 1 }) });
    await api.call('createVideo', { as: 'refused', body: videoBody({ contentType: 'image/png' }) });
    await api.call('createVideo', { as: 'refused', body: videoBody({ extra: 1 }) });

    const list = await api.call('listVideos', { as: 'refused' });

    expect(list.body).toEqual({ items: [], nextCursor: null });
  });
});

describe('the routes behind the authorizer', () => {
  it.each(API_ROUTES.filter((route) => route.auth === 'required').map((route) => route.operationId))(
    '%s answers 401 when no user came through the authorizer',
    async (operationId) => {
      const response = await api.call(operationId, {
        id: 'some-video',
        body: { parts: [{ partNumber: 1, etag: 'e' }] },
      });

      expectApiError(response, 401, 'UNAUTHORIZED');
    },
  );
});

describe('getUpload', () => {
  it('lets an uploader resume after a crash: it lists the uploaded part and gives a fresh URL for the missing one only', async () => {
    const bytes = randomBytes(9 * MIB);
    const created = await createVideo(api, 'uma', { sizeBytes: bytes.length });
    const id = created.video.id;
    const firstEtag = await putPart(created.upload.parts[0]?.url ?? '', bytes.subarray(0, 8 * MIB));
    // The uploader crashes here and forgets everything but the video id.

    const state = await api.call('getUpload', { as: 'uma', id });

    expect(state.status).toBe(200);
    expect(state.body).toEqual({
      uploadId: created.upload.uploadId,
      partSize: 8 * MIB,
      partCount: 2,
      uploadedParts: [{ partNumber: 1, etag: expect.any(String), sizeBytes: 8 * MIB }],
      parts: [{ partNumber: 2, url: expect.any(String) }],
      expiresAt: expect.any(String),
    });
    expect(unquote(state.body.uploadedParts[0].etag)).toBe(unquote(firstEtag));
    expect(new URL(state.body.parts[0].url).searchParams.get('X-Amz-Expires')).toBe(String(URL_TTL_SECONDS));

    const secondEtag = await putPart(state.body.parts[0].url, bytes.subarray(8 * MIB));
    const completed = await api.call('completeUpload', {
      as: 'uma',
      id,
      body: {
        parts: [
          { partNumber: 1, etag: state.body.uploadedParts[0].etag },
          { partNumber: 2, etag: secondEtag },
        ],
      },
    });

    expect(completed.status).toBe(202);
    expect(completed.body.video.status).toBe('PROCESSING');
    const source = await api.servers.s3.send(
      new GetObjectCommand({ Bucket: api.servers.uploadBucket, Key: `uploads/${id}/source` }),
    );
    expect(md5((await source.Body?.transformToByteArray()) ?? Buffer.alloc(0))).toBe(md5(bytes));
  });

  it('answers 409 once the upload is completed', async () => {
    const id = await processingVideo(api, 'uma');

    const response = await api.call('getUpload', { as: 'uma', id });

    expectApiError(response, 409, 'INVALID_STATE');
  });

  it("answers 403 for someone else's public video, 404 for a private one and for an unknown id", async () => {
    const publicVideo = await createVideo(api, 'uma', { visibility: 'public' });
    const privateVideo = await createVideo(api, 'uma', { visibility: 'private' });

    const forbidden = await api.call('getUpload', { as: 'mallory', id: publicVideo.video.id });
    const hidden = await api.call('getUpload', { as: 'mallory', id: privateVideo.video.id });
    const unknown = await api.call('getUpload', { as: 'uma', id: 'no-such-video' });

    expectApiError(forbidden, 403, 'FORBIDDEN');
    expectApiError(hidden, 404, 'NOT_FOUND');
    expectApiError(unknown, 404, 'NOT_FOUND');
  });
});

describe('completeUpload', () => {
  it('answers 202 with the video PROCESSING, and the catalog and reads say so', async () => {
    const { id, parts } = await uploadedVideo(api, 'carol');

    const response = await api.call('completeUpload', { as: 'carol', id, body: { parts } });

    expect(response.status).toBe(202);
    expect(response.body).toEqual({ video: expect.objectContaining({ id, status: 'PROCESSING' }) });
    expect((await catalogOf(api).get(id))?.status).toBe('PROCESSING');
    expect((await api.call('getVideo', { id })).body.video.status).toBe('PROCESSING');
  });

  it.each([
    ['a part is not listed', [1]],
    ['a part is listed twice', [1, 1, 2]],
    ['a part beyond the plan is listed', [1, 2, 3]],
  ])('answers 400 when %s', async (_case, partNumbers) => {
    const { video } = await createVideo(api, 'carol', { sizeBytes: 9 * MIB });

    const response = await api.call('completeUpload', {
      as: 'carol',
      id: video.id,
      body: { parts: partNumbers.map((partNumber) => ({ partNumber, etag: `"etag-of-${partNumber}"` })) },
    });

    expectApiError(response, 400, 'VALIDATION_FAILED');
  });

  it('answers 400 when a listed part was never uploaded', async () => {
    const { video } = await createVideo(api, 'carol');

    const response = await api.call('completeUpload', {
      as: 'carol',
      id: video.id,
      body: { parts: [{ partNumber: 1, etag: '"d41d8cd98f00b204e9800998ecf8427e"' }] },
    });

    expectApiError(response, 400, 'UPLOAD_INCOMPLETE');
  });

  it('answers 400 when an ETag is not the one of the uploaded part', async () => {
    const { id } = await uploadedVideo(api, 'carol');

    const response = await api.call('completeUpload', {
      as: 'carol',
      id,
      body: { parts: [{ partNumber: 1, etag: '"00000000000000000000000000000000"' }] },
    });

    expectApiError(response, 400, 'UPLOAD_INCOMPLETE');
  });

  it('answers 400 for a part of the wrong size and 413 for parts over the maximum, and completes once the parts are put right', async () => {
    const created = await createVideo(api, 'carol', { sizeBytes: 9 * MIB });
    const id = created.video.id;
    const [firstUrl, secondUrl] = created.upload.parts.map((part) => part.url) as [string, string];
    const before = await catalogOf(api).get(id);
    const complete = (etags: string[]) =>
      api.call('completeUpload', {
        as: 'carol',
        id,
        body: { parts: etags.map((etag, index) => ({ partNumber: index + 1, etag })) },
      });

    // The right total, cut in the wrong place.
    const shortFirst = await putPart(firstUrl, Buffer.alloc(8 * MIB - 1, 1));
    const longSecond = await putPart(secondUrl, Buffer.alloc(MIB + 1, 2));
    const wrongCut = await complete([shortFirst, longSecond]);
    // The right first part and a second part that takes the total over the maximum.
    const rightFirst = await putPart(firstUrl, Buffer.alloc(8 * MIB, 1));
    const oversizedSecond = await putPart(secondUrl, Buffer.alloc(2 * MIB + 1, 2));
    const tooLarge = await complete([rightFirst, oversizedSecond]);
    const unchanged = await catalogOf(api).get(id);
    // The uploader puts the second part again, right this time.
    const rightSecond = await putPart(secondUrl, Buffer.alloc(MIB, 2));
    const completed = await complete([rightFirst, rightSecond]);

    expectApiError(wrongCut, 400, 'SIZE_MISMATCH');
    expectApiError(tooLarge, 413, 'PAYLOAD_TOO_LARGE');
    expect(unchanged).toEqual(before);
    expect(completed.status).toBe(202);
  });

  it('answers 409 when the video is no longer UPLOADING', async () => {
    const { id, parts } = await uploadedVideo(api, 'carol');
    await api.call('completeUpload', { as: 'carol', id, body: { parts } });

    const again = await api.call('completeUpload', { as: 'carol', id, body: { parts } });

    expectApiError(again, 409, 'INVALID_STATE');
  });

  it('lets exactly one of two racing completes win: one 202, one 409, and one move to PROCESSING', async () => {
    const catalog = sharedRuntime().deps.catalog;
    const transition = jest.spyOn(catalog, 'transition');
    try {
      for (let round = 0; round < 3; round++) {
        const { id, parts } = await uploadedVideo(api, 'carol');
        transition.mockClear();

        const responses = await Promise.all([
          api.call('completeUpload', { as: 'carol', id, body: { parts } }),
          api.call('completeUpload', { as: 'carol', id, body: { parts } }),
        ]);

        const [winner, loser] = [...responses].sort((a, b) => a.status - b.status) as [ApiResponse, ApiResponse];
        expect(winner.status).toBe(202);
        expectApiError(loser, 409, 'INVALID_STATE');
        const writes = await Promise.allSettled(transition.mock.results.map((result) => result.value));
        expect(writes.filter((write) => write.status === 'fulfilled')).toHaveLength(1);
        expect((await catalog.get(id))?.status).toBe('PROCESSING');
      }
    } finally {
      transition.mockRestore();
    }
  });
});

describe('abortUpload', () => {
  it('answers 204, after which the video is FAILED with UPLOAD_ABORTED and its part URLs are dead', async () => {
    const created = await createVideo(api, 'dave');
    const id = created.video.id;

    const response = await api.call('abortUpload', { as: 'dave', id });

    expect(response.status).toBe(204);
    expect(response.body).toBeUndefined();
    const read = await api.call('getVideo', { id, headers: await api.bearer('dave') });
    expect(read.body.video).toMatchObject({
      status: 'FAILED',
      error: { code: 'UPLOAD_ABORTED', message: expect.any(String) },
    });
    const late = await fetch(created.upload.parts[0]?.url ?? '', { method: 'PUT', body: Buffer.from('x') });
    expect(late.status).toBe(404);
  });

  it('answers 409 to a second abort and to a complete after the abort', async () => {
    const { id, parts } = await uploadedVideo(api, 'dave');
    await api.call('abortUpload', { as: 'dave', id });

    const secondAbort = await api.call('abortUpload', { as: 'dave', id });
    const complete = await api.call('completeUpload', { as: 'dave', id, body: { parts } });

    expectApiError(secondAbort, 409, 'INVALID_STATE');
    expectApiError(complete, 409, 'INVALID_STATE');
  });

  it('lets exactly one of a racing complete and abort win, and the record says which', async () => {
    for (let round = 0; round < 3; round++) {
      const { id, parts } = await uploadedVideo(api, 'dave');

      const [complete, abort] = await Promise.all([
        api.call('completeUpload', { as: 'dave', id, body: { parts } }),
        api.call('abortUpload', { as: 'dave', id }),
      ]);

      const outcome = complete.status === 202 ? 'completed' : 'aborted';
      expect([complete.status, abort.status]).toEqual(outcome === 'completed' ? [202, 409] : [409, 204]);
      expectApiError(outcome === 'completed' ? abort : complete, 409, 'INVALID_STATE');
      expect((await catalogOf(api).get(id))?.status).toBe(outcome === 'completed' ? 'PROCESSING' : 'FAILED');
    }
  });

  it("answers 403 for someone else's public video and leaves its upload open", async () => {
    const { video } = await createVideo(api, 'dave');

    const response = await api.call('abortUpload', { as: 'mallory', id: video.id });

    expectApiError(response, 403, 'FORBIDDEN');
    expect((await api.call('getUpload', { as: 'dave', id: video.id })).status).toBe(200);
  });
});
