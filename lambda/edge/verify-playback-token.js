// CloudFront Function (cloudfront-js-2.0, viewer request): checks the playback token in
// /t/{keyId}.{expiresAt}.{signature}/v/{videoId}/{file} and strips /t/{token} before the cache
// lookup, so every viewer of a video shares one cached copy. Anything else is answered 403.
// The token format is defined in lambda/core/playback-token.ts; keep the two in step.
// This file is deployed as is: plain JavaScript, no imports but the runtime's own modules, and
// none of the syntax the runtime rejects although Node accepts it (for...of, default parameters).
import cf from 'cloudfront';
import crypto from 'crypto';

const keys = cf.kvs();
// MAX_TOKEN_LIFETIME_SECONDS in lambda/core/playback-token.ts.
const MAX_LIFETIME_SECONDS = 7 * 24 * 60 * 60;

// SECRET_PATTERN in lambda/core/playback-token.ts: a key in the store that is empty or shorter
// (a failed rotation step, say) would let anyone sign, so its tokens are refused.
const SECRET = /^[A-Za-z0-9_-]{32,128}$/;

// Only the characters our own paths use: no dots-only segments, no encoded bytes, no queries; the
// expiry in canonical form (no leading zero), so that a signature has one token, never an alias.
const MEDIA_PATH =
  /^\/t\/([A-Za-z0-9_-]{1,32})\.(0|[1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})(\/v\/([A-Za-z0-9_-]{1,64})\/(hls|mp4|thumbs)(\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}){1,3})$/;

function forbidden() {
  return {
    statusCode: 403,
    statusDescription: 'Forbidden',
    headers: { 'cache-control': { value: 'no-store' } },
  };
}

// Compares in time that does not depend on where the strings first differ.
function sameText(a, b) {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

async function handler(event) {
  const request = event.request;
  const match = MEDIA_PATH.exec(request.uri);
  if (!match) return forbidden();
  const keyId = match[1];
  const expiresAt = Number(match[2]);
  const signature = match[3];
  const mediaPath = match[4];
  const videoId = match[5];
  const now = Math.floor(Date.now() / 1000);
  if (!(expiresAt > now && expiresAt <= now + MAX_LIFETIME_SECONDS)) return forbidden();

  let secret;
  try {
    secret = await keys.get(`key:${keyId}`);
  } catch (_unknownKey) {
    return forbidden();
  }
  if (typeof secret !== 'string' || !SECRET.test(secret)) return forbidden();
  const expected = crypto.createHmac('sha256', secret).update(`${videoId}.${expiresAt}`).digest('base64url');
  if (!sameText(expected, signature)) return forbidden();

  request.uri = mediaPath;
  // The cache key ignores query strings; dropping them keeps origin requests canonical too.
  request.querystring = {};
  return request;
}
