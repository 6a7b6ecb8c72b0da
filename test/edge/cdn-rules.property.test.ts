import fc from 'fast-check';
import { keyValueStoreKey, mintPlaybackToken, type SigningKey } from '../../lambda/core/playback-token';
import { CACHE_KEY_POLICIES, cacheKeyOf } from '../../lambda/edge/cdn-rules';
import {
  loadPlaybackTokenFunction,
  type ViewerRequest,
  type ViewerResponse,
  viewerRequestEvent,
} from '../../local/cloudfront-function-runtime';

const keys: SigningKey[] = [
  { keyId: 'k1', secret: 'first-secret-first-secret-first-0123456789' },
  { keyId: 'k2', secret: 'second-secret-second-secret-second-0123456' },
];
const handler = loadPlaybackTokenFunction({
  get: (name) => keys.find((key) => keyValueStoreKey(key.keyId) === name)?.secret,
});
const nowSeconds = () => Math.floor(Date.now() / 1000);

const videoId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const file = fc.oneof(
  fc.stringMatching(/^hls\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,40}\.(m3u8|ts)$/),
  fc.stringMatching(/^(mp4|thumbs)\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,40}$/),
);
/** A viewer's token: one of the trusted keys, an expiry up to a day ahead. */
const viewerToken = fc.record({
  key: fc.constantFrom(...keys),
  lifetime: fc.integer({ min: 60, max: 86_400 }),
});
/** What else a viewer may send: a query string (a token in it too), cookies and any headers. */
const extras = fc.record({
  query: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[A-Za-z0-9._-]{0,20}$/), {
    maxKeys: 3,
  }),
  cookies: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[A-Za-z0-9]{0,20}$/), {
    maxKeys: 3,
  }),
  headers: fc.dictionary(fc.stringMatching(/^[a-z-]{1,16}$/), fc.stringMatching(/^[ -~]{0,30}$/), { maxKeys: 4 }),
});

type Extras = { query: Record<string, string>; cookies: Record<string, string>; headers: Record<string, string> };

/** The cache key CloudFront looks up for a viewer's request: the function's output under the policy. */
async function keyFor(token: string, id: string, path: string, extra: Extras): Promise<string> {
  const query = new URLSearchParams({ ...extra.query, token }).toString();
  const event = viewerRequestEvent(`/t/${token}/v/${id}/${path}?${query}`);
  const withToken = { value: token };
  event.request.cookies = { ...wrap(extra.cookies), token: withToken };
  event.request.headers = { ...wrap(extra.headers), authorization: withToken };
  const result = await handler(event);
  if ('statusCode' in result) throw new Error(`refused: ${(result as ViewerResponse).statusCode}`);
  return cacheKeyOf(result as ViewerRequest);
}
const wrap = (values: Record<string, string>) =>
  Object.fromEntries(Object.entries(values).map(([name, value]) => [name, { value }]));

describe('the cache key', () => {
  it('never contains the playback token, wherever the viewer sends it', async () => {
    await fc.assert(
      fc.asyncProperty(viewerToken, videoId, file, extras, async ({ key, lifetime }, id, path, extra) => {
        const token = mintPlaybackToken(key, id, nowSeconds() + lifetime);
        const signature = token.split('.')[2] as string;

        const cacheKey = await keyFor(token, id, path, extra);

        expect(cacheKey).not.toContain(signature);
        expect(cacheKey).not.toContain(token);
        expect(cacheKey.startsWith(`/v/${id}/${path}`)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('is the same for two viewers whose requests differ only in their tokens and what else they send', async () => {
    await fc.assert(
      fc.asyncProperty(
        viewerToken,
        viewerToken,
        videoId,
        file,
        extras,
        extras,
        async (first, second, id, path, firstExtra, secondExtra) => {
          // The same Accept-Encoding, which manifests' keys hold by design.
          const acceptEncoding = firstExtra.headers['accept-encoding'];
          const { 'accept-encoding': _dropped, ...others } = secondExtra.headers;
          const secondHeaders =
            acceptEncoding === undefined ? others : { ...others, 'accept-encoding': acceptEncoding };

          const one = await keyFor(
            mintPlaybackToken(first.key, id, nowSeconds() + first.lifetime),
            id,
            path,
            firstExtra,
          );
          const other = await keyFor(mintPlaybackToken(second.key, id, nowSeconds() + second.lifetime), id, path, {
            ...secondExtra,
            headers: secondHeaders,
          });

          expect(one).toBe(other);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('differs between files, and holds the viewer’s gzip or Brotli only where the behaviour compresses', () => {
    fc.assert(
      fc.property(videoId, file, file, fc.subarray(['gzip', 'br', 'deflate', 'identity']), (id, a, b, codings) => {
        const headers = { 'accept-encoding': { value: codings.join(', ') } };

        const keyA = cacheKeyOf({ uri: `/v/${id}/${a}`, headers });
        const keyB = cacheKeyOf({ uri: `/v/${id}/${b}`, headers });

        if (a !== b) expect(keyA).not.toBe(keyB);
        const enabled: readonly string[] =
          CACHE_KEY_POLICIES[a.endsWith('.m3u8') ? 'manifest' : 'media'].acceptEncodings;
        const kept = codings.filter((coding) => enabled.includes(coding)).sort();
        expect(keyA).toBe(kept.length > 0 ? `/v/${id}/${a} h:accept-encoding=${kept.join(',')}` : `/v/${id}/${a}`);
      }),
    );
  });
});
