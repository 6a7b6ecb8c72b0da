import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  keyValueStoreKey,
  MAX_TOKEN_LIFETIME_SECONDS,
  mintPlaybackToken,
  parsePlaybackToken,
  verifyPlaybackToken,
} from '../../lambda/core/playback-token';
import { PLAYBACK_TOKEN_FUNCTION_PATH } from '../../lambda/edge/functions';
import {
  compileViewerRequestFunction,
  loadPlaybackTokenFunction,
  type ViewerRequest,
  type ViewerResponse,
  viewerRequestEvent,
} from '../../local/cloudfront-function-runtime';

const current = { keyId: 'k2', secret: 'current-secret-current-secret-0123456789' };
const retired = { keyId: 'k1', secret: 'retired-secret-retired-secret-0123456789' };
/** Keys a failed rotation step could leave in the store: anyone could sign with them. */
const empty = { keyId: 'k-empty', secret: '' };
const short = { keyId: 'k-short', secret: 'short-secret-0123456789' };
const store = new Map([
  [keyValueStoreKey(current.keyId), current.secret],
  [keyValueStoreKey(retired.keyId), retired.secret],
  [keyValueStoreKey(empty.keyId), empty.secret],
  [keyValueStoreKey(short.keyId), short.secret],
]);
/** A token signed as the format says, with any secret: what an attacker who knows the key can make. */
const forge = (
  key: { keyId: string; secret: string },
  videoId: string,
  expiresAt: number,
  expiry = String(expiresAt),
) => `${key.keyId}.${expiry}.${createHmac('sha256', key.secret).update(`${videoId}.${expiresAt}`).digest('base64url')}`;
const handler = loadPlaybackTokenFunction({ get: (key) => store.get(key) });
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function request(uri: string): Promise<ViewerRequest | ViewerResponse> {
  return handler(viewerRequestEvent(uri));
}
const isForbidden = (result: ViewerRequest | ViewerResponse) => 'statusCode' in result && result.statusCode === 403;

describe('the playback token CloudFront Function, run from its deployed source', () => {
  const video = 'vid_abc123';
  const token = mintPlaybackToken(current, video, nowSeconds() + 3600);

  it('passes a valid token and strips /t/{token} so every viewer shares one cache key', async () => {
    const result = await request(`/t/${token}/v/${video}/hls/master.m3u8`);

    expect(result).toMatchObject({ method: 'GET', uri: `/v/${video}/hls/master.m3u8` });
  });

  it.each(['hls/720p/segment_00042.ts', 'hls/720p.m3u8', 'mp4/720p.mp4', 'thumbs/0001.jpg'])(
    'passes every delivery path: %s',
    async (file) => {
      expect(await request(`/t/${token}/v/${video}/${file}`)).toMatchObject({ uri: `/v/${video}/${file}` });
    },
  );

  it('drops the query string, which the cache key ignores anyway', async () => {
    const result = (await request(`/t/${token}/v/${video}/mp4/720p.mp4?download=1`)) as ViewerRequest;

    expect(result.querystring).toEqual({});
  });

  it('still accepts tokens signed with a retired key that remains in the store (rotation)', async () => {
    const old = mintPlaybackToken(retired, video, nowSeconds() + 60);

    expect(await request(`/t/${old}/v/${video}/hls/master.m3u8`)).toMatchObject({ uri: `/v/${video}/hls/master.m3u8` });
  });

  it('answers 403, not cacheable, to a path without a token', async () => {
    const result = await request(`/v/${video}/hls/master.m3u8`);

    expect(result).toEqual({
      statusCode: 403,
      statusDescription: 'Forbidden',
      headers: { 'cache-control': { value: 'no-store' } },
    });
  });

  it('answers 403 to a token for another video', async () => {
    expect(isForbidden(await request(`/t/${token}/v/vid_other/hls/master.m3u8`))).toBe(true);
  });

  it('answers 403 to an expired token', async () => {
    const expired = mintPlaybackToken(current, video, nowSeconds() - 1);

    expect(isForbidden(await request(`/t/${expired}/v/${video}/hls/master.m3u8`))).toBe(true);
  });

  it.each([
    ['empty', empty],
    ['shorter than the API accepts', short],
  ])('answers 403 to a token signed with a key that is in the store but %s (fail closed)', async (_, key) => {
    const forged = forge(key, video, nowSeconds() + 3600);

    expect(isForbidden(await request(`/t/${forged}/v/${video}/hls/master.m3u8`))).toBe(true);
    const lookup = (keyId: string) => store.get(keyValueStoreKey(keyId));
    expect(verifyPlaybackToken(forged, video, lookup, nowSeconds())).toEqual({ valid: false, reason: 'unusable-key' });
  });

  it('answers 403 to a token whose expiry is not in canonical form, though its signature matches', async () => {
    const expiresAt = nowSeconds() + 3600;
    const aliased = forge(current, video, expiresAt, `0${expiresAt}`);

    expect(isForbidden(await request(`/t/${aliased}/v/${video}/hls/master.m3u8`))).toBe(true);
    const lookup = (keyId: string) => store.get(keyValueStoreKey(keyId));
    expect(verifyPlaybackToken(aliased, video, lookup, nowSeconds())).toEqual({ valid: false, reason: 'malformed' });
  });

  it('answers 403 to a token signed with a key that is not in the store', async () => {
    const unknown = mintPlaybackToken({ keyId: 'k9', secret: current.secret }, video, nowSeconds() + 60);

    expect(isForbidden(await request(`/t/${unknown}/v/${video}/hls/master.m3u8`))).toBe(true);
  });

  it('answers 403 to a token whose expiry was pushed out', async () => {
    const parsed = parsePlaybackToken(token);
    const extended = `${parsed?.keyId}.${(parsed?.expiresAt ?? 0) + 86_400}.${parsed?.signature}`;

    expect(isForbidden(await request(`/t/${extended}/v/${video}/hls/master.m3u8`))).toBe(true);
  });

  it.each([
    ['an empty token', `/t//v/${video}/hls/master.m3u8`],
    ['a token without a signature', `/t/k2.99999999999/v/${video}/hls/master.m3u8`],
    ['a short signature', `/t/${token.slice(0, -1)}/v/${video}/hls/master.m3u8`],
    ['a percent-encoded token', `/t/${encodeURIComponent(`${token}/`)}v/${video}/hls/master.m3u8`],
    ['a path traversal', `/t/${token}/v/${video}/hls/../../other/hls/master.m3u8`],
    ['a dot segment', `/t/${token}/v/${video}/hls/./master.m3u8`],
    ['an unknown output folder', `/t/${token}/v/${video}/uploads/source.mp4`],
    ['a bare video folder', `/t/${token}/v/${video}/`],
    ['the root', '/'],
  ])('answers 403 to %s', async (_case, uri) => {
    expect(isForbidden(await request(uri))).toBe(true);
  });

  it('answers 403 to a token that claims to last longer than the maximum lifetime', async () => {
    const tooLong = mintPlaybackToken(current, video, nowSeconds() + MAX_TOKEN_LIFETIME_SECONDS + 60);

    expect(isForbidden(await request(`/t/${tooLong}/v/${video}/hls/master.m3u8`))).toBe(true);
  });

  describe('property-based', () => {
    it('answers any path that carries no minted token with 403, and never throws', async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ maxLength: 300 }), async (tail) => {
          expect(isForbidden(await request(`/${tail}`))).toBe(true);
          expect(isForbidden(await request(`/t/${tail}`))).toBe(true);
        }),
      );
    });

    it('passes exactly the tokens the core module verifies: known or unknown keys, any expiry, tampered or not', async () => {
      const signers = fc.constantFrom(current, retired, { keyId: 'k9', secret: current.secret }, empty, short);
      const ids = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
      // Offsets stay clear of the expiry boundaries, so both sides read the same second of the clock.
      const offsets = fc.oneof(
        { weight: 1, arbitrary: fc.integer({ min: -86_400, max: -10 }) },
        { weight: 3, arbitrary: fc.integer({ min: 10, max: MAX_TOKEN_LIFETIME_SECONDS - 10 }) },
        {
          weight: 1,
          arbitrary: fc.integer({ min: MAX_TOKEN_LIFETIME_SECONDS + 10, max: MAX_TOKEN_LIFETIME_SECONDS + 86_400 }),
        },
      );
      // One character changed anywhere, or (as often) within the signature's last characters.
      const tampering = fc.option(fc.tuple(fc.nat(), fc.constantFrom(...'Aa0_-.9z'), fc.boolean()), {
        nil: undefined,
        freq: 2,
      });
      // Mostly the video the token names; sometimes another one.
      const otherVideo = fc.option(ids, { nil: undefined, freq: 4 });
      await fc.assert(
        fc.asyncProperty(signers, ids, otherVideo, offsets, tampering, async (signer, id, other, offset, tamper) => {
          const requestedId = other ?? id;
          let token = forge(signer, id, nowSeconds() + offset);
          if (tamper) {
            const [position, replacement, nearEnd] = tamper;
            const at = nearEnd ? token.length - 1 - (position % 8) : position % token.length;
            token = token.slice(0, at) + replacement + token.slice(at + 1);
          }

          const result = await request(`/t/${token}/v/${requestedId}/hls/master.m3u8`);

          const expected = verifyPlaybackToken(
            token,
            requestedId,
            (keyId) => store.get(keyValueStoreKey(keyId)),
            nowSeconds(),
          );
          expect({ passed: !isForbidden(result), token }).toEqual({ passed: expected.valid, token });
        }),
        { numRuns: 500 },
      );
    });

    it('passes every freshly minted token for the video it names, and no other video', async () => {
      const ids = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
      await fc.assert(
        fc.asyncProperty(
          ids,
          ids,
          fc.integer({ min: 60, max: MAX_TOKEN_LIFETIME_SECONDS }),
          async (id, otherId, ttl) => {
            fc.pre(id !== otherId);
            const minted = mintPlaybackToken(current, id, nowSeconds() + ttl);
            expect(await request(`/t/${minted}/v/${id}/mp4/720p.mp4`)).toMatchObject({ uri: `/v/${id}/mp4/720p.mp4` });
            expect(isForbidden(await request(`/t/${minted}/v/${otherId}/mp4/720p.mp4`))).toBe(true);
          },
        ),
      );
    });
  });
});

describe('the playback token function source', () => {
  const source = readFileSync(PLAYBACK_TOKEN_FUNCTION_PATH, 'utf8');

  it('avoids syntax that cloudfront-js-2.0 rejects although Node accepts it', () => {
    expect(source).not.toMatch(/\bfor\s*\([^)]*\bof\b/); // for...of
    expect(source).not.toMatch(/function\s*\w*\s*\([^)]*=/); // default parameters
    expect(source).not.toMatch(/\brequire\s*\(/);
    expect(source).not.toMatch(/^\s*export\b/m);
  });

  it('runs without Node: a source that reaches for require, process or sha512 fails here as on CloudFront', async () => {
    const noStore = { get: () => undefined };
    const event = viewerRequestEvent('/');
    const run = (body: string) =>
      compileViewerRequestFunction(`async function handler(event) { ${body} }`, noStore)(event);

    await expect(run("return require('fs');")).rejects.toThrow(/require is not defined/);
    await expect(run('return process.env;')).rejects.toThrow(/process is not defined/);
    await expect(run("return (await import('node:fs'));")).rejects.toThrow();
    const withCrypto = (body: string) =>
      compileViewerRequestFunction(
        `import crypto from 'crypto';\nasync function handler(event) { ${body} }`,
        noStore,
      )(event);
    await expect(withCrypto("return crypto.createHash('sha512').update('x').digest('hex');")).rejects.toThrow(
      'CloudFront Functions do not support sha512',
    );
    await expect(withCrypto("return crypto.createHash('sha256').update('x').digest('latin1');")).rejects.toThrow(
      'CloudFront Functions cannot digest to latin1',
    );
  });

  it('imports only the runtime modules, which the loader refuses to go beyond', () => {
    expect(source.match(/^import .*$/gm)).toEqual(["import cf from 'cloudfront';", "import crypto from 'crypto';"]);
    expect(() => compileViewerRequestFunction(`import fs from 'fs';\n${source}`, { get: () => undefined })).toThrow(
      "CloudFront Functions can import only 'cloudfront' and 'crypto'; found: import fs from 'fs';",
    );
  });
});
