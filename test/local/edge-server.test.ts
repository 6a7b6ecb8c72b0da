import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type Redis from 'ioredis';
import { RATE_LIMITED_BODY } from '../../lambda/core/errors';
import { mintPlaybackToken, playbackPath, type SigningKey } from '../../lambda/core/playback-token';
import { PLAYER_CORS_MAX_AGE_SECONDS } from '../../lambda/edge/cdn-rules';
import type { EdgeServer, EdgeServerOptions } from '../../local/edge-server';
import { startTestEdge } from '../../local/harness/edge';
import { freePort, type LocalServers, startLocalServers } from '../../local/harness/local-servers';
import { rawRequest as call, type RawAnswer } from '../support/raw-http';
import { failFastClient } from '../support/redis-clients';

const KEY: SigningKey = { keyId: 'edge1', secret: 'edge-test-secret-edge-test-secret-0123456789' };
const VIDEO = 'vid_edge1';
const MANIFEST_TTL = 10;
const MEDIA_TTL = 31_536_000;
const PLAYER_ORIGIN = 'https://player.example';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const token = (videoId = VIDEO, key = KEY, expiresAt = nowSeconds() + 3600) =>
  mintPlaybackToken(key, videoId, expiresAt);
const path = (file: string) => playbackPath(token(), VIDEO, file);

/** A big manifest (compressed) and a small one (not), a segment, an MP4, a thumbnail and an empty file. */
const playlist = (lines: number) =>
  `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n${Array.from(
    { length: lines },
    (_, i) => `#EXTINF:6.000,\nsegment_${String(i).padStart(5, '0')}.ts\n`,
  ).join('')}#EXT-X-ENDLIST\n`;
const OBJECTS = {
  'hls/master.m3u8': { body: Buffer.from(playlist(100)), type: 'application/vnd.apple.mpegurl' },
  'hls/small.m3u8': { body: Buffer.from(playlist(5)), type: 'application/vnd.apple.mpegurl' },
  'hls/segment_00000.ts': { body: randomBytes(188 * 100), type: 'video/mp2t' },
  'mp4/720p.mp4': { body: randomBytes(1024 * 1024), type: 'video/mp4' },
  'thumbs/poster.jpg': { body: randomBytes(5000), type: 'image/jpeg' },
  'mp4/empty.mp4': { body: Buffer.alloc(0), type: 'video/mp4' },
} as const;
const MP4 = OBJECTS['mp4/720p.mp4'].body;

let servers: LocalServers;
let redis: Redis;
let edge: EdgeServer;
const started: EdgeServer[] = [];

/** An edge over the test's S3 and keys; each gets its own rate bucket. */
async function newEdge(overrides: Partial<EdgeServerOptions> = {}): Promise<EdgeServer> {
  const server = await startTestEdge(servers, redis, KEY, {
    manifestTtlSeconds: MANIFEST_TTL,
    mediaTtlSeconds: MEDIA_TTL,
    ...overrides,
  });
  started.push(server);
  return server;
}

beforeAll(async () => {
  servers = await startLocalServers();
  redis = await failFastClient(servers.redis.port);
  for (const [file, { body, type }] of Object.entries(OBJECTS)) {
    await servers.s3.send(
      new PutObjectCommand({ Bucket: servers.mediaBucket, Key: `v/${VIDEO}/${file}`, Body: body, ContentType: type }),
    );
  }
  edge = await newEdge();
});
afterAll(async () => {
  await Promise.all(started.map((server) => server.close()));
  redis.disconnect();
  await servers.stop();
});

describe('the edge serving media', () => {
  it('serves a whole object with its type, length, ETag, Last-Modified and Accept-Ranges', async () => {
    const answer = await call(edge, path('mp4/720p.mp4'));

    expect(answer.status).toBe(200);
    expect(answer.body.equals(MP4)).toBe(true);
    expect(answer.headers).toMatchObject({
      'content-type': 'video/mp4',
      'content-length': String(MP4.length),
      'accept-ranges': 'bytes',
      etag: expect.stringMatching(/^"[0-9a-f]+"$/),
    });
    expect(Date.parse(answer.headers['last-modified'] ?? '')).not.toBeNaN();
  });

  it.each([
    ['bytes=0-0', 0, 0],
    ['bytes=0-1023', 0, 1023],
    ['bytes=1000-200000', 1000, 200_000],
    ['bytes=-500', MP4.length - 500, MP4.length - 1],
    ['bytes=1048000-', 1_048_000, MP4.length - 1],
    ['bytes=524288-99999999', 524_288, MP4.length - 1],
    ['bytes=-2000000', 0, MP4.length - 1],
  ])('answers %s with 206 and the same bytes as that slice of the whole object', async (range, start, end) => {
    const whole = await call(edge, path('mp4/720p.mp4'));

    const answer = await call(edge, path('mp4/720p.mp4'), { headers: { Range: range } });

    expect(answer.status).toBe(206);
    expect(answer.body.equals(whole.body.subarray(start, end + 1))).toBe(true);
    expect(answer.headers['content-range']).toBe(`bytes ${start}-${end}/${MP4.length}`);
    expect(answer.headers['content-length']).toBe(String(end - start + 1));
    expect(answer.headers['accept-ranges']).toBe('bytes');
  });

  it('answers an unsatisfiable range with 416 and the size', async () => {
    const beyond = await call(edge, path('mp4/720p.mp4'), { headers: { Range: `bytes=${MP4.length}-` } });
    const empty = await call(edge, path('mp4/empty.mp4'), { headers: { Range: 'bytes=0-' } });

    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${MP4.length}`);
    expect(empty.status).toBe(416);
    expect(empty.headers['content-range']).toBe('bytes */0');
  });

  it('serves the whole object for several ranges or a malformed one', async () => {
    const several = await call(edge, path('mp4/720p.mp4'), { headers: { Range: 'bytes=0-9,20-29' } });
    const malformed = await call(edge, path('mp4/720p.mp4'), { headers: { Range: 'bytes=ten-twenty' } });

    expect([several.status, several.body.length]).toEqual([200, MP4.length]);
    expect([malformed.status, malformed.body.length]).toEqual([200, MP4.length]);
  });

  it('honours If-Range with the current ETag and serves the whole object for a stale one', async () => {
    const { headers } = await call(edge, path('mp4/720p.mp4'), { method: 'HEAD' });
    const etag = headers.etag as string;

    const current = await call(edge, path('mp4/720p.mp4'), { headers: { Range: 'bytes=0-99', 'If-Range': etag } });
    const stale = await call(edge, path('mp4/720p.mp4'), {
      headers: { Range: 'bytes=0-99', 'If-Range': '"0000000000000000000000000000000"' },
    });

    expect([current.status, current.body.length]).toEqual([206, 100]);
    expect(stale.status).toBe(200);
    expect(stale.body.equals(MP4)).toBe(true);
  });

  it('answers If-None-Match with the ETag with 304 and no body', async () => {
    const { headers } = await call(edge, path('mp4/720p.mp4'), { method: 'HEAD' });

    const answer = await call(edge, path('mp4/720p.mp4'), { headers: { 'If-None-Match': headers.etag as string } });

    expect(answer.status).toBe(304);
    expect(answer.body.length).toBe(0);
    expect(answer.headers.etag).toBe(headers.etag);
    expect(answer.headers['cache-control']).toBe(`max-age=${MEDIA_TTL}, immutable`);
  });

  it('answers HEAD with the headers of a GET and no body', async () => {
    const get = await call(edge, path('thumbs/poster.jpg'));

    const head = await call(edge, path('thumbs/poster.jpg'), { method: 'HEAD' });

    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    for (const name of ['content-type', 'content-length', 'etag', 'last-modified', 'accept-ranges', 'cache-control']) {
      expect(head.headers[name]).toBe(get.headers[name]);
    }
  });

  it('caches manifests briefly and media for long', async () => {
    const manifest = await call(edge, path('hls/small.m3u8'));
    const segment = await call(edge, path('hls/segment_00000.ts'));
    const mp4 = await call(edge, path('mp4/720p.mp4'), { method: 'HEAD' });
    const thumbnail = await call(edge, path('thumbs/poster.jpg'), { method: 'HEAD' });

    expect(manifest.headers['cache-control']).toBe(`max-age=${MANIFEST_TTL}`);
    for (const media of [segment, mp4, thumbnail]) {
      expect(media.headers['cache-control']).toBe(`max-age=${MEDIA_TTL}, immutable`);
    }
    expect(segment.headers['content-type']).toBe('video/mp2t');
    expect(segment.body.equals(OBJECTS['hls/segment_00000.ts'].body)).toBe(true);
  });

  it('gzips a whole manifest of 1,000 bytes or more for a viewer that accepts gzip, and nothing else', async () => {
    const gzip = { 'Accept-Encoding': 'gzip, deflate, br' };
    const big = OBJECTS['hls/master.m3u8'].body;

    const compressed = await call(edge, path('hls/master.m3u8'), { headers: gzip });
    const identity = await call(edge, path('hls/master.m3u8'));
    const refused = await call(edge, path('hls/master.m3u8'), { headers: { 'Accept-Encoding': 'gzip;q=0, br' } });
    const ranged = await call(edge, path('hls/master.m3u8'), { headers: { ...gzip, Range: 'bytes=0-99' } });
    const small = await call(edge, path('hls/small.m3u8'), { headers: gzip });
    const media = await call(edge, path('mp4/720p.mp4'), { headers: gzip });
    const head = await call(edge, path('hls/master.m3u8'), { method: 'HEAD', headers: gzip });

    expect(compressed.headers['content-encoding']).toBe('gzip');
    expect(compressed.headers.vary).toContain('Accept-Encoding');
    expect(compressed.headers['content-length']).toBe(String(compressed.body.length));
    expect(compressed.body.length).toBeLessThan(big.length);
    expect(gunzipSync(compressed.body).equals(big)).toBe(true);
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.headers.vary).toContain('Accept-Encoding');
    expect(identity.body.equals(big)).toBe(true);
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(ranged.status).toBe(206);
    expect(ranged.headers['content-encoding']).toBeUndefined();
    expect(ranged.body.equals(big.subarray(0, 100))).toBe(true);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.body.equals(OBJECTS['hls/small.m3u8'].body)).toBe(true);
    expect(media.headers['content-encoding']).toBeUndefined();
    expect(head.headers['content-encoding']).toBe('gzip');
    expect(head.headers['content-length']).toBe(compressed.headers['content-length']);
    expect(head.body.length).toBe(0);
  });

  it('weakens the ETag of a compressed manifest, and revalidates it', async () => {
    const gzip = { 'Accept-Encoding': 'gzip' };
    const identity = await call(edge, path('hls/master.m3u8'), { method: 'HEAD' });
    const compressed = await call(edge, path('hls/master.m3u8'), { method: 'HEAD', headers: gzip });

    const revalidated = await call(edge, path('hls/master.m3u8'), {
      headers: { ...gzip, 'If-None-Match': compressed.headers.etag as string },
    });

    expect(compressed.headers.etag).toBe(`W/${identity.headers.etag}`);
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.etag).toBe(compressed.headers.etag);
    expect(revalidated.headers['cache-control']).toBe(`max-age=${MANIFEST_TTL}`);
  });

  it('does not pass the query string to S3', async () => {
    // S3 would answer ?acl with the object's ACL instead of the object.
    const answer = await call(edge, `${path('thumbs/poster.jpg')}?acl`);

    expect(answer.status).toBe(200);
    expect(answer.body.equals(OBJECTS['thumbs/poster.jpg'].body)).toBe(true);
  });

  it('survives a viewer that hangs up in the middle of a download', async () => {
    await new Promise<void>((resolve, reject) => {
      const outgoing = httpRequest(
        { host: '127.0.0.1', port: edge.port, path: path('mp4/720p.mp4'), agent: false },
        (incoming) => {
          incoming.once('data', () => {
            outgoing.destroy();
            resolve();
          });
        },
      );
      outgoing.on('error', () => undefined);
      outgoing.once('error', reject);
      outgoing.end();
    });

    const next = await call(edge, path('mp4/720p.mp4'), { headers: { Range: 'bytes=-10' } });

    expect(next.body.equals(MP4.subarray(-10))).toBe(true);
  });
});

describe('the edge refusing', () => {
  const otherKey: SigningKey = { keyId: 'unknown', secret: 'never-in-the-store-never-in-the-store-0123' };
  const file = `v/${VIDEO}/mp4/720p.mp4`;
  const valid = () => token();
  const refusals: [string, () => string][] = [
    ['no token', () => `/${file}`],
    ['a bad signature', () => `/t/${valid().slice(0, -1)}${valid().endsWith('A') ? 'B' : 'A'}/${file}`],
    ['an expired token', () => `/t/${token(VIDEO, KEY, nowSeconds() - 1)}/${file}`],
    ['a token for another video', () => `/t/${token('vid_other')}/${file}`],
    ['an unknown key id', () => `/t/${token(VIDEO, otherKey)}/${file}`],
    ['a garbage path', () => '/t/garbage/v/x'],
    ['the root', () => '/'],
    ['a dot-dot path', () => `/t/${valid()}/v/${VIDEO}/hls/../mp4/720p.mp4`],
    ['an encoded byte', () => `/t/${valid()}/v/${VIDEO}/mp4/720p%2Emp4`],
    ['an absolute-form target', () => `http://127.0.0.1/t/${valid()}/${file}`],
  ];

  it.each(refusals)('answers 403 for %s, not to be cached', async (_name, target) => {
    const answer = await call(edge, target());

    expect(answer.status).toBe(403);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body.includes(MP4.subarray(0, 64))).toBe(false);
  });

  it('answers 403 for an object that does not exist, as S3 behind origin access control does', async () => {
    const answer = await call(edge, path('mp4/1080p.mp4'));

    expect(answer.status).toBe(403);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body.toString()).toContain('AccessDenied');
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('answers %s with 403', async (method) => {
    const answer = await call(edge, path('mp4/720p.mp4'), { method });

    expect(answer.status).toBe(403);
  });

  it('answers 502 when S3 cannot be reached', async () => {
    const unreachable = new S3Client({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      endpoint: `http://127.0.0.1:${await freePort()}`,
      forcePathStyle: true,
      maxAttempts: 1,
    });
    const broken = await newEdge({ s3: unreachable });

    try {
      const answer = await call(broken, path('mp4/720p.mp4'));

      expect(answer.status).toBe(502);
      expect(answer.headers['cache-control']).toBe('no-store');
    } finally {
      unreachable.destroy();
    }
  });
});

describe('the edge headers', () => {
  it('carry the security headers and CORS on success and on refusals', async () => {
    const answers = await Promise.all([
      call(edge, path('thumbs/poster.jpg')),
      call(edge, '/no/token'),
      call(edge, path('mp4/720p.mp4'), { method: 'POST' }),
    ]);

    for (const answer of answers) {
      expect(answer.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'strict-origin-when-cross-origin',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        'strict-transport-security': 'max-age=63072000; includeSubDomains',
        'access-control-allow-origin': '*',
        'access-control-expose-headers': 'Content-Length, Content-Range, Accept-Ranges, ETag',
        'x-ratelimit-limit': '10000',
      });
    }
  });

  it('answer a CORS preflight with the methods, headers and max age a player needs', async () => {
    const answer = await call(edge, path('mp4/720p.mp4'), {
      method: 'OPTIONS',
      headers: {
        Origin: PLAYER_ORIGIN,
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'range',
      },
    });

    expect(answer.status).toBe(204);
    expect(answer.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, HEAD, OPTIONS',
      'access-control-allow-headers': 'Range, If-None-Match, If-Range',
      'access-control-max-age': String(PLAYER_CORS_MAX_AGE_SECONDS),
    });
  });

  it('name an allowed origin back, and only that one, when origins are listed', async () => {
    const listed = await newEdge({ allowedOrigins: [PLAYER_ORIGIN] });

    const allowed = await call(listed, path('thumbs/poster.jpg'), { headers: { Origin: PLAYER_ORIGIN } });
    const other = await call(listed, path('thumbs/poster.jpg'), { headers: { Origin: 'https://evil.example' } });
    const refused = await call(listed, '/no/token', { headers: { Origin: PLAYER_ORIGIN } });

    expect(allowed.headers['access-control-allow-origin']).toBe(PLAYER_ORIGIN);
    expect(allowed.headers.vary).toContain('Origin');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers.vary).toContain('Origin');
    expect(refused.headers['access-control-allow-origin']).toBe(PLAYER_ORIGIN);
  });
});

describe('the edge rate limit', () => {
  it('answers a burst beyond the rule with 429, Retry-After, rate limit headers and the JSON error', async () => {
    const limited = await newEdge({ rateRule: { name: `edge-burst-${Date.now()}`, limit: 10, windowSeconds: 60 } });

    const answers: RawAnswer[] = [];
    for (let i = 0; i < 12; i++) answers.push(await call(limited, path('thumbs/poster.jpg'), { method: 'HEAD' }));
    const denied = await call(limited, path('thumbs/poster.jpg'));

    expect(answers.map((answer) => answer.status)).toEqual([...Array(10).fill(200), 429, 429]);
    expect(answers[0]?.headers).toMatchObject({ 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '9' });
    expect(denied.status).toBe(429);
    expect(Number(denied.headers['retry-after'])).toBeGreaterThan(0);
    expect(denied.headers).toMatchObject({
      'x-ratelimit-limit': '10',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': expect.stringMatching(/^[0-9]+$/),
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'access-control-allow-origin': '*',
    });
    expect(JSON.parse(denied.body.toString())).toEqual(JSON.parse(RATE_LIMITED_BODY));
  });

  it('counts refused requests too, as the web ACL runs before anything else', async () => {
    const limited = await newEdge({ rateRule: { name: `edge-refused-${Date.now()}`, limit: 3, windowSeconds: 60 } });

    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(limited, '/no/token', { method: 'POST' })).status);

    expect(statuses).toEqual([403, 403, 403, 429]);
  });
});

describe('starting the edge', () => {
  it('rejects with EADDRINUSE when the port is taken', async () => {
    await expect(newEdge({ port: edge.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
