import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type Redis from 'ioredis';
import { mintPlaybackToken, playbackPath, type SigningKey } from '../../lambda/core/playback-token';
import { cacheKeyOf } from '../../lambda/edge/cdn-rules';
import type { EdgeServer, EdgeServerOptions } from '../../local/edge-server';
import { startTestEdge } from '../../local/harness/edge';
import { type LocalServers, startLocalServers } from '../../local/harness/local-servers';
import { rawRequest as call } from '../support/raw-http';
import { failFastClient } from '../support/redis-clients';

const KEY: SigningKey = { keyId: 'cache1', secret: 'edge-cache-secret-edge-cache-secret-0123456' };
const VIDEO = 'vid_cache1';
const MANIFEST_TTL = 10;
const MEDIA_TTL = 31_536_000;

const nowSeconds = () => Math.floor(Date.now() / 1000);
/** A valid token of its own for each viewer: the expiry differs, so does the signature. */
let viewer = 0;
const token = (expiresAt = nowSeconds() + 3600 + ++viewer) => mintPlaybackToken(KEY, VIDEO, expiresAt);
const path = (file: string, playbackToken = token()) => playbackPath(playbackToken, VIDEO, file);
/** The cache key of a file: its path without the token. */
const keyOf = (file: string, acceptEncoding?: string) =>
  cacheKeyOf({
    uri: `/v/${VIDEO}/${file}`,
    headers: acceptEncoding ? { 'accept-encoding': { value: acceptEncoding } } : {},
  });

const manifest = Buffer.from(
  `#EXTM3U\n#EXT-X-TARGETDURATION:6\n${'#EXTINF:6.000,\nsegment.ts\n'.repeat(80)}#EXT-X-ENDLIST\n`,
);
const SEGMENT = randomBytes(64 * 1024);
const OBJECTS: Record<string, { body: Buffer; type: string }> = {
  'hls/master.m3u8': { body: manifest, type: 'application/vnd.apple.mpegurl' },
  'hls/segment_00001.ts': { body: SEGMENT, type: 'video/mp2t' },
  'mp4/540p.mp4': { body: randomBytes(256 * 1024), type: 'video/mp4' },
  ...Object.fromEntries(
    [1, 2, 3, 4].map((n) => [`thumbs/thumb_${n}.jpg`, { body: randomBytes(10_000), type: 'image/jpeg' }]),
  ),
};

let servers: LocalServers;
let redis: Redis;
const started: EdgeServer[] = [];

/** A fresh edge, and so an empty cache, over the test's S3 and key; each has its own rate bucket. */
async function newEdge(overrides: Partial<EdgeServerOptions> = {}): Promise<EdgeServer> {
  const server = await startTestEdge(servers, redis, KEY, {
    manifestTtlSeconds: MANIFEST_TTL,
    mediaTtlSeconds: MEDIA_TTL,
    ...overrides,
  });
  started.push(server);
  return server;
}

const put = (file: string, body: Buffer, type: string) =>
  servers.s3.send(
    new PutObjectCommand({ Bucket: servers.mediaBucket, Key: `v/${VIDEO}/${file}`, Body: body, ContentType: type }),
  );

const stats = (edge: EdgeServer) => {
  const value = edge.cacheStats();
  if (value === undefined) throw new Error('the cache is off');
  return value;
};

beforeAll(async () => {
  servers = await startLocalServers();
  redis = await failFastClient(servers.redis.port);
  for (const [file, { body, type }] of Object.entries(OBJECTS)) await put(file, body, type);
});
afterAll(async () => {
  await Promise.all(started.map((server) => server.close()));
  redis.disconnect();
  await servers.stop();
});

describe('the edge cache sharing one copy', () => {
  it('serves two viewers with different valid tokens from one origin fetch', async () => {
    // Prepare: an empty cache.
    const edge = await newEdge();

    // Act: two viewers, each with a token of their own, ask for the same segment.
    const first = await call(edge, path('hls/segment_00001.ts', token()));
    const second = await call(edge, path('hls/segment_00001.ts', token()));

    // Assess: the first went to the origin, the second was a hit; both got the segment.
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.headers['x-cache']).toBe('Miss from cloudfront');
    expect(second.headers['x-cache']).toBe('Hit from cloudfront');
    expect(second.headers.age).toBe('0');
    expect(first.body.equals(SEGMENT)).toBe(true);
    expect(second.body.equals(SEGMENT)).toBe(true);
    expect(stats(edge).originFetchesByKey.get(keyOf('hls/segment_00001.ts'))).toBe(1);
    expect(stats(edge)).toMatchObject({ hits: 1, misses: 1, originFetches: 1, originBytes: SEGMENT.length });
  });

  it('makes one origin fetch for many viewers who miss at the same moment', async () => {
    // Prepare: an empty cache, 20 viewers with their own tokens.
    const edge = await newEdge();
    const targets = Array.from({ length: 20 }, () => path('mp4/540p.mp4', token()));

    // Act: all ask at once.
    const answers = await Promise.all(targets.map((target) => call(edge, target)));

    // Assess: one fetch; the others waited for it and were served from it.
    for (const answer of answers) expect(answer.body.equals(OBJECTS['mp4/540p.mp4']?.body as Buffer)).toBe(true);
    expect(answers.filter((answer) => answer.headers['x-cache'] === 'Miss from cloudfront')).toHaveLength(1);
    expect(stats(edge).originFetchesByKey.get(keyOf('mp4/540p.mp4'))).toBe(1);
    expect(stats(edge)).toMatchObject({ misses: 1, hits: 19, collapsed: 19 });
  });

  it('keeps a manifest once per accepted encoding and media once whatever the viewer accepts', async () => {
    // Prepare: an empty cache.
    const edge = await newEdge();
    const gzip = { 'Accept-Encoding': 'gzip, deflate' };

    // Act: manifests and a segment, asked for with and without gzip.
    const plain = await call(edge, path('hls/master.m3u8'));
    const compressed = await call(edge, path('hls/master.m3u8'), { headers: gzip });
    const compressedAgain = await call(edge, path('hls/master.m3u8'), { headers: { 'Accept-Encoding': 'gzip' } });
    const segment = await call(edge, path('hls/segment_00001.ts'));
    const segmentGzip = await call(edge, path('hls/segment_00001.ts'), { headers: gzip });

    // Assess: two manifest entries (as the policy keys on Accept-Encoding), one segment entry.
    expect(plain.body.equals(manifest)).toBe(true);
    expect(gunzipSync(compressed.body).equals(manifest)).toBe(true);
    expect(gunzipSync(compressedAgain.body).equals(manifest)).toBe(true);
    expect([compressed.headers['x-cache'], compressedAgain.headers['x-cache']]).toEqual([
      'Miss from cloudfront',
      'Hit from cloudfront',
    ]);
    expect(segmentGzip.headers['x-cache']).toBe('Hit from cloudfront');
    expect(segmentGzip.body.equals(segment.body)).toBe(true);
    const fetches = stats(edge).originFetchesByKey;
    expect(fetches.get(keyOf('hls/master.m3u8'))).toBe(1);
    expect(fetches.get(keyOf('hls/master.m3u8', 'gzip'))).toBe(1);
    expect(fetches.get(keyOf('hls/segment_00001.ts'))).toBe(1);
    expect(stats(edge).entries).toBe(3);
  });
});

describe('the edge cache and the token check', () => {
  const file = `v/${VIDEO}/hls/segment_00001.ts`;
  const otherKey: SigningKey = { keyId: 'unknown', secret: 'never-in-the-store-never-in-the-store-0123' };
  const refusals: [string, () => string][] = [
    ['an expired token', () => `/t/${token(nowSeconds() - 1)}/${file}`],
    [
      'a bad signature',
      () => {
        const valid = token();
        return `/t/${valid.slice(0, -1)}${valid.endsWith('A') ? 'B' : 'A'}/${file}`;
      },
    ],
    ['a token for another video', () => `/t/${mintPlaybackToken(KEY, 'vid_other', nowSeconds() + 60)}/${file}`],
    ['an unknown key id', () => `/t/${mintPlaybackToken(otherKey, VIDEO, nowSeconds() + 60)}/${file}`],
    ['no token', () => `/${file}`],
  ];

  it.each(refusals)('refuses %s with 403 although the object is cached', async (_name, target) => {
    // Prepare: the segment in the cache.
    const edge = await newEdge();
    await call(edge, path('hls/segment_00001.ts'));
    const before = stats(edge);

    // Act
    const answer = await call(edge, target());

    // Assess: refused before the cache was consulted.
    expect(answer.status).toBe(403);
    expect(answer.body.includes(SEGMENT.subarray(0, 64))).toBe(false);
    expect(stats(edge)).toEqual(before);
  });

  it('still applies the rate limit to cache hits', async () => {
    // Prepare: a tight rate rule, the segment cached by the first request.
    const edge = await newEdge({ rateRule: { name: `edge-cache-rate-${Date.now()}`, limit: 3, windowSeconds: 60 } });

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(edge, path('hls/segment_00001.ts'))).status);

    // Assess
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe('the edge cache answering from the whole object', () => {
  const mp4 = OBJECTS['mp4/540p.mp4']?.body as Buffer;

  it.each([
    ['bytes=0-0', 0, 0],
    ['bytes=1000-65535', 1000, 65_535],
    ['bytes=-500', mp4.length - 500, mp4.length - 1],
    ['bytes=200000-', 200_000, mp4.length - 1],
  ])('answers %s on a cached object with the same bytes as that slice of the source', async (range, start, end) => {
    // Prepare: the MP4 in the cache.
    const edge = await newEdge();
    await call(edge, path('mp4/540p.mp4'));

    // Act
    const answer = await call(edge, path('mp4/540p.mp4'), { headers: { Range: range } });

    // Assess
    expect(answer.status).toBe(206);
    expect(answer.headers['x-cache']).toBe('Hit from cloudfront');
    expect(answer.headers['content-range']).toBe(`bytes ${start}-${end}/${mp4.length}`);
    expect(answer.body.equals(mp4.subarray(start, end + 1))).toBe(true);
    expect(stats(edge).originFetches).toBe(1);
  });

  it('fetches the whole object once for a first request with a Range, then serves other ranges from it', async () => {
    // Prepare: an empty cache.
    const edge = await newEdge();

    // Act
    const first = await call(edge, path('mp4/540p.mp4'), { headers: { Range: 'bytes=0-99' } });
    const second = await call(edge, path('mp4/540p.mp4'), { headers: { Range: 'bytes=100-199' } });

    // Assess
    expect(first.body.equals(mp4.subarray(0, 100))).toBe(true);
    expect(second.body.equals(mp4.subarray(100, 200))).toBe(true);
    expect(stats(edge)).toMatchObject({ originFetches: 1, originBytes: mp4.length });
  });

  it('answers HEAD and If-None-Match from the cache', async () => {
    // Prepare: the thumbnail in the cache.
    const edge = await newEdge();
    const get = await call(edge, path('thumbs/thumb_1.jpg'));

    // Act
    const head = await call(edge, path('thumbs/thumb_1.jpg'), { method: 'HEAD' });
    const revalidated = await call(edge, path('thumbs/thumb_1.jpg'), {
      headers: { 'If-None-Match': get.headers.etag as string },
    });

    // Assess
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(revalidated.status).toBe(304);
    expect([head.headers['x-cache'], revalidated.headers['x-cache']]).toEqual([
      'Hit from cloudfront',
      'Hit from cloudfront',
    ]);
    expect(stats(edge).originFetches).toBe(1);
  });
});

describe('the edge cache expiring entries', () => {
  it("keeps a manifest for the behaviour's TTL, then revalidates it with the origin", async () => {
    // Prepare: a clock the test moves, and a manifest of its own in S3.
    let now = Date.now();
    const edge = await newEdge({ cache: { now: () => now } });
    await put('hls/expiry.m3u8', Buffer.from('#EXTM3U\n# one\n'), 'application/vnd.apple.mpegurl');
    const key = keyOf('hls/expiry.m3u8');
    await call(edge, path('hls/expiry.m3u8'));

    // Act: just inside the TTL, just after it, and after the object changed and the TTL passed again.
    now += (MANIFEST_TTL - 1) * 1000;
    const fresh = await call(edge, path('hls/expiry.m3u8'));
    now += 2000;
    const unchanged = await call(edge, path('hls/expiry.m3u8'));
    await put('hls/expiry.m3u8', Buffer.from('#EXTM3U\n# two\n'), 'application/vnd.apple.mpegurl');
    const stale = await call(edge, path('hls/expiry.m3u8'));
    now += (MANIFEST_TTL + 1) * 1000;
    const changed = await call(edge, path('hls/expiry.m3u8'));

    // Assess
    expect(fresh.headers['x-cache']).toBe('Hit from cloudfront');
    expect(fresh.headers.age).toBe(String(MANIFEST_TTL - 1));
    expect(unchanged.headers['x-cache']).toBe('RefreshHit from cloudfront');
    expect(stale.headers['x-cache']).toBe('Hit from cloudfront');
    expect(stale.body.toString()).toContain('# one');
    expect(changed.headers['x-cache']).toBe('Miss from cloudfront');
    expect(changed.body.toString()).toContain('# two');
    expect(stats(edge).originFetchesByKey.get(key)).toBe(3);
  });

  it('keeps media for the media TTL and asks the origin again after that', async () => {
    // Prepare: a short media TTL, the segment cached.
    let now = Date.now();
    const edge = await newEdge({ mediaTtlSeconds: 60, cache: { now: () => now } });
    await call(edge, path('hls/segment_00001.ts'));

    // Act
    now += 59_000;
    const fresh = await call(edge, path('hls/segment_00001.ts'));
    now += 2000;
    const expired = await call(edge, path('hls/segment_00001.ts'));

    // Assess
    expect(fresh.headers['x-cache']).toBe('Hit from cloudfront');
    expect(fresh.headers['cache-control']).toBe('max-age=60, immutable');
    expect(expired.headers['x-cache']).toBe('RefreshHit from cloudfront');
    expect(expired.body.equals(SEGMENT)).toBe(true);
    expect(stats(edge).originFetchesByKey.get(keyOf('hls/segment_00001.ts'))).toBe(2);
  });
});

describe('the edge cache bounding its memory', () => {
  const thumb = (n: number) => `thumbs/thumb_${n}.jpg`;

  it('evicts the least recently used entry when the bytes would exceed the bound', async () => {
    // Prepare: room for three 10,000-byte thumbnails.
    const edge = await newEdge({ cache: { maxBytes: 30_000, maxObjectBytes: 30_000 } });
    for (const n of [1, 2, 3]) await call(edge, path(thumb(n)));
    await call(edge, path(thumb(1)));

    // Act: a fourth pushes out the least recently used, thumbnail 2.
    await call(edge, path(thumb(4)));
    const one = await call(edge, path(thumb(1)));
    const two = await call(edge, path(thumb(2)));

    // Assess
    expect(one.headers['x-cache']).toBe('Hit from cloudfront');
    expect(two.headers['x-cache']).toBe('Miss from cloudfront');
    expect(two.body.equals(OBJECTS[thumb(2)]?.body as Buffer)).toBe(true);
    expect(stats(edge)).toMatchObject({ entries: 3, bytes: 30_000, evictions: 2 });
    expect(stats(edge).originFetchesByKey.get(keyOf(thumb(2)))).toBe(2);
  });

  it('streams an object above the size limit from the origin every time, without keeping it', async () => {
    // Prepare: objects up to 100 KiB are kept; the MP4 is 256 KiB.
    const edge = await newEdge({ cache: { maxBytes: 1024 * 1024, maxObjectBytes: 100 * 1024 } });
    const mp4 = OBJECTS['mp4/540p.mp4']?.body as Buffer;

    // Act
    const whole = await call(edge, path('mp4/540p.mp4'));
    const ranged = await call(edge, path('mp4/540p.mp4'), { headers: { Range: 'bytes=10-19' } });

    // Assess
    expect(whole.body.equals(mp4)).toBe(true);
    expect(ranged.body.equals(mp4.subarray(10, 20))).toBe(true);
    expect([whole.headers['x-cache'], ranged.headers['x-cache']]).toEqual([
      'Miss from cloudfront',
      'Miss from cloudfront',
    ]);
    expect(stats(edge)).toMatchObject({ entries: 0, bytes: 0, originFetches: 2, originBytes: mp4.length + 10 });
  });
});

describe('the edge with its cache off', () => {
  it('sends every request to the origin', async () => {
    // Prepare
    const edge = await newEdge({ cache: false });

    // Act
    const answers = [await call(edge, path('hls/segment_00001.ts')), await call(edge, path('hls/segment_00001.ts'))];

    // Assess
    expect(answers.map((answer) => answer.headers['x-cache'])).toEqual([
      'Miss from cloudfront',
      'Miss from cloudfront',
    ]);
    expect(answers.every((answer) => answer.body.equals(SEGMENT))).toBe(true);
    expect(edge.cacheStats()).toBeUndefined();
  });
});
