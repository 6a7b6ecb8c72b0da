import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { catalogOf, createVideo, expectApiError, processingVideo, uploadedVideo } from '../support/videos';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => api.stop());

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('getVideo', () => {
  it('answers 200 with the video and an ETag, and 304 to a matching If-None-Match', async () => {
    const { video } = await createVideo(api, 'alice', { title: 'Tagged' });

    const first = await api.call('getVideo', { id: video.id });
    const again = await api.call('getVideo', { id: video.id, headers: { 'If-None-Match': first.headers.etag ?? '' } });
    const weakInList = await api.call('getVideo', {
      id: video.id,
      headers: { 'If-None-Match': `"other", W/${first.headers.etag}` },
    });

    expect(first.status).toBe(200);
    expect(first.body).toEqual({ video });
    expect(first.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(again.status).toBe(304);
    expect(again.raw.body).toBe('');
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(weakInList.status).toBe(304);
  });

  it('answers 200 again, with a new ETag, once the video changed', async () => {
    const { video } = await createVideo(api, 'alice', { title: 'Before' });
    const first = await api.call('getVideo', { id: video.id });
    await api.call('updateVideo', { as: 'alice', id: video.id, body: { title: 'After' } });

    const revalidated = await api.call('getVideo', {
      id: video.id,
      headers: { 'If-None-Match': first.headers.etag ?? '' },
    });

    expect(revalidated.status).toBe(200);
    expect(revalidated.body.video.title).toBe('After');
    expect(revalidated.headers.etag).not.toBe(first.headers.etag);
  });

  it('shows a public video to anyone, signed in or not', async () => {
    const { video } = await createVideo(api, 'alice', { visibility: 'public' });

    const anonymous = await api.call('getVideo', { id: video.id });
    const someoneElse = await api.call('getVideo', { id: video.id, headers: await api.bearer('bob') });

    expect(anonymous.status).toBe(200);
    expect(someoneElse.status).toBe(200);
  });

  it('shows a private video to its owner only: 404 to another user and to anonymous callers', async () => {
    const { video } = await createVideo(api, 'alice', { visibility: 'private' });

    const owner = await api.call('getVideo', { id: video.id, headers: await api.bearer('alice') });
    const someoneElse = await api.call('getVideo', { id: video.id, headers: await api.bearer('bob') });
    const anonymous = await api.call('getVideo', { id: video.id });

    expect(owner.status).toBe(200);
    expect(owner.body.video.visibility).toBe('private');
    expectApiError(someoneElse, 404, 'NOT_FOUND');
    expectApiError(anonymous, 404, 'NOT_FOUND');
  });

  it('answers 404 for an unknown id and 400 for something that is not an id', async () => {
    const unknown = await api.call('getVideo', { id: 'no-such-video' });
    const notAnId = await api.call('getVideo', { id: '../etc/passwd' });

    expectApiError(unknown, 404, 'NOT_FOUND');
    expectApiError(notAnId, 400, 'VALIDATION_FAILED');
  });

  describe('with a bad token, even on a public video', () => {
    let id: string;
    beforeAll(async () => {
      id = (await createVideo(api, 'alice', { visibility: 'public' })).video.id;
    });

    const tamper = (token: string): string => {
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'alice' })).toString('base64url');
      return `${header}.${forged}.${signature}`;
    };

    it.each([
      ['a header that is not a bearer token', async () => 'Basic YWxpY2U6c2VjcmV0'],
      ['a bearer with no token', async () => 'Bearer '],
      ['a token that is not a JWT', async () => 'Bearer not-a-jwt'],
      [
        'a token whose claims were changed',
        async () => `Bearer ${tamper(await api.servers.identity.issue('mallory'))}`,
      ],
      [
        'an expired token',
        async () => `Bearer ${await api.servers.identity.issue('alice', { expiresInSeconds: -10 })}`,
      ],
      [
        'a token for another audience',
        async () => `Bearer ${await api.servers.identity.issue('alice', { audience: 'another-app-client' })}`,
      ],
    ])('answers 401 for %s', async (_case, authorization) => {
      const response = await api.call('getVideo', { id, headers: { Authorization: await authorization() } });

      expectApiError(response, 401, 'UNAUTHORIZED');
    });
  });
});

describe('listVideos', () => {
  const owner = 'lister';
  let newestFirst: string[];
  beforeAll(async () => {
    const ids: string[] = [];
    for (let n = 1; n <= 5; n++) {
      ids.push((await createVideo(api, owner, { title: `Video ${n}` })).video.id);
      // Creation times a few milliseconds apart, so that "newest" is well defined.
      await pause(3);
    }
    await createVideo(api, 'someone-else');
    newestFirst = ids.reverse();
  });

  it("pages through the caller's own videos, newest first: 5 videos at limit 2 are 3 pages", async () => {
    const pages: { items: { id: string; ownerId: string }[]; nextCursor: string | null }[] = [];
    let cursor: string | undefined;

    do {
      const response = await api.call('listVideos', {
        as: owner,
        query: cursor === undefined ? { limit: '2' } : { limit: '2', cursor },
      });
      expect(response.status).toBe(200);
      pages.push(response.body);
      cursor = response.body.nextCursor ?? undefined;
    } while (cursor !== undefined && pages.length < 10);

    expect(pages.map((page) => page.items.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap((page) => page.items.map((item) => item.id))).toEqual(newestFirst);
    expect(pages.flatMap((page) => page.items.map((item) => item.ownerId))).toEqual(Array(5).fill(owner));
    expect(pages[2]?.nextCursor).toBeNull();
  });

  it('shows the videos as the API shows them, without the upload handle', async () => {
    const response = await api.call('listVideos', { as: owner });

    expect(response.body.items).toHaveLength(5);
    for (const item of response.body.items) {
      expect(item).not.toHaveProperty('upload');
      expect(item).not.toHaveProperty('fileName');
      expect(item).toEqual((await api.call('getVideo', { id: item.id })).body.video);
    }
  });

  it('answers an empty page to a user with no videos', async () => {
    const response = await api.call('listVideos', { as: 'nobody' });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ items: [], nextCursor: null });
  });

  it.each([
    ['a limit of 0', { limit: '0' }],
    ['a limit over 100', { limit: '101' }],
    ['a limit that is not a number', { limit: 'ten' }],
    ['a negative limit', { limit: '-1' }],
    ['a fractional limit', { limit: '1.5' }],
    ['a cursor with characters outside base64url', { cursor: 'abc$def' }],
    ['a cursor this API did not give out', { cursor: Buffer.from('{"id":"x"}').toString('base64url') }],
    ['a limit given twice', { limit: ['2', '3'] }],
    ['an unknown parameter', { order: 'oldest' }],
  ])('answers 400 for %s', async (_case, query) => {
    const response = await api.call('listVideos', { as: owner, query });

    expectApiError(response, 400, 'VALIDATION_FAILED');
  });
});

describe('updateVideo', () => {
  it('answers 200 with the changed video, and reads show the change at once', async () => {
    const { video } = await createVideo(api, 'alice', { title: 'Old title' });
    await api.call('getVideo', { id: video.id });

    const response = await api.call('updateVideo', {
      as: 'alice',
      id: video.id,
      body: { title: 'New title', description: 'Now with a description' },
    });
    const read = await api.call('getVideo', { id: video.id });

    expect(response.status).toBe(200);
    expect(response.body.video).toMatchObject({ title: 'New title', description: 'Now with a description' });
    expect(Date.parse(response.body.video.updatedAt)).toBeGreaterThanOrEqual(Date.parse(video.createdAt as string));
    expect(read.body).toEqual(response.body);
  });

  it('hides a video made private from other callers at once', async () => {
    const { video } = await createVideo(api, 'alice', { visibility: 'public' });
    await api.call('getVideo', { id: video.id });

    await api.call('updateVideo', { as: 'alice', id: video.id, body: { visibility: 'private' } });
    const anonymous = await api.call('getVideo', { id: video.id });

    expectApiError(anonymous, 404, 'NOT_FOUND');
  });

  it("answers 403 for someone else's public video, 404 for a private one, and changes nothing", async () => {
    const publicVideo = await createVideo(api, 'alice', { visibility: 'public' });
    const privateVideo = await createVideo(api, 'alice', { visibility: 'private' });
    const before = await Promise.all([publicVideo, privateVideo].map(({ video }) => catalogOf(api).get(video.id)));

    const forbidden = await api.call('updateVideo', {
      as: 'mallory',
      id: publicVideo.video.id,
      body: { title: 'Pwned' },
    });
    const hidden = await api.call('updateVideo', {
      as: 'mallory',
      id: privateVideo.video.id,
      body: { title: 'Pwned' },
    });

    expectApiError(forbidden, 403, 'FORBIDDEN');
    expectApiError(hidden, 404, 'NOT_FOUND');
    expect(await Promise.all([publicVideo, privateVideo].map(({ video }) => catalogOf(api).get(video.id)))).toEqual(
      before,
    );
  });

  it.each([
    ['an empty object', { body: {} }, 'VALIDATION_FAILED'],
    ['no body at all', { rawBody: '', headers: { 'Content-Type': 'application/json' } }, 'BAD_REQUEST'],
    ['a field that may not be changed', { body: { status: 'READY' } }, 'VALIDATION_FAILED'],
    ['an empty title', { body: { title: '' } }, 'VALIDATION_FAILED'],
  ] as const)('answers 400 for %s and changes nothing', async (_case, request, code) => {
    const { video } = await createVideo(api, 'alice');
    const before = await catalogOf(api).get(video.id);

    const response = await api.call('updateVideo', { as: 'alice', id: video.id, ...request });

    expectApiError(response, 400, code);
    expect(await catalogOf(api).get(video.id)).toEqual(before);
  });

  it('answers 404 for an unknown id', async () => {
    const response = await api.call('updateVideo', { as: 'alice', id: 'no-such-video', body: { title: 'x' } });

    expectApiError(response, 404, 'NOT_FOUND');
  });
});

describe('deleteVideo', () => {
  const s3 = () => api.servers.s3;
  const keysUnder = async (bucket: string, prefix: string) =>
    ((await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map(
      (object) => object.Key,
    );
  const put = (bucket: string, key: string) => s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));

  it('answers 204 and removes the record, the upload and the outputs, and nothing of other videos', async () => {
    const { uploadBucket, mediaBucket } = api.servers;
    const id = await processingVideo(api, 'erin');
    const neighbour = `${id}x`;
    await put(mediaBucket, `v/${id}/hls/master.m3u8`);
    await put(mediaBucket, `v/${id}/mp4/720p.mp4`);
    await put(mediaBucket, `v/${neighbour}/hls/master.m3u8`);
    await put(uploadBucket, `uploads/${neighbour}/source`);
    await api.call('getVideo', { id });

    const response = await api.call('deleteVideo', { as: 'erin', id });

    expect(response.status).toBe(204);
    expect(response.body).toBeUndefined();
    expectApiError(await api.call('getVideo', { id, headers: await api.bearer('erin') }), 404, 'NOT_FOUND');
    expect(await catalogOf(api).get(id)).toBeUndefined();
    expect(await keysUnder(uploadBucket, `uploads/${id}/`)).toEqual([]);
    expect(await keysUnder(mediaBucket, `v/${id}/`)).toEqual([]);
    expect(await keysUnder(mediaBucket, `v/${neighbour}/`)).toEqual([`v/${neighbour}/hls/master.m3u8`]);
    expect(await keysUnder(uploadBucket, `uploads/${neighbour}/`)).toEqual([`uploads/${neighbour}/source`]);
  });

  it('aborts the upload of a video still UPLOADING', async () => {
    const created = await createVideo(api, 'erin');

    const response = await api.call('deleteVideo', { as: 'erin', id: created.video.id });
    const late = await fetch(created.upload.parts[0]?.url ?? '', { method: 'PUT', body: Buffer.from('x') });

    expect(response.status).toBe(204);
    expect(late.status).toBe(404);
  });

  it('answers 404 to a second delete', async () => {
    const { video } = await createVideo(api, 'erin');
    await api.call('deleteVideo', { as: 'erin', id: video.id });

    const again = await api.call('deleteVideo', { as: 'erin', id: video.id });

    expectApiError(again, 404, 'NOT_FOUND');
  });

  it("answers 403 for someone else's public video, 404 for a private one, and deletes nothing", async () => {
    const publicVideo = await uploadedVideo(api, 'erin', { visibility: 'public' });
    const privateVideo = await uploadedVideo(api, 'erin', { visibility: 'private' });

    const forbidden = await api.call('deleteVideo', { as: 'mallory', id: publicVideo.id });
    const hidden = await api.call('deleteVideo', { as: 'mallory', id: privateVideo.id });

    expectApiError(forbidden, 403, 'FORBIDDEN');
    expectApiError(hidden, 404, 'NOT_FOUND');
    for (const { id, parts } of [publicVideo, privateVideo]) {
      expect((await catalogOf(api).get(id))?.status).toBe('UPLOADING');
      expect((await api.call('completeUpload', { as: 'erin', id, body: { parts } })).status).toBe(202);
    }
  });
});
