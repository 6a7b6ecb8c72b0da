import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Playback tokens: the one definition of their format.
 *
 * A token is `{keyId}.{expiresAt}.{signature}` and travels in the path, as
 * `/t/{token}/v/{videoId}/...`, so that HLS players keep it on every relative URL.
 * - `keyId`: names the signing key in the CloudFront KeyValueStore (`key:{keyId}`), so keys rotate
 *   without a redeploy;
 * - `expiresAt`: Unix time in seconds;
 * - `signature`: base64url HMAC-SHA256, keyed by the secret, of `{videoId}.{expiresAt}`.
 *
 * The CloudFront Function in `lambda/edge/verify-playback-token.js` checks the same format in
 * the restricted CloudFront runtime; a differential test keeps the two in step.
 */

export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const VIDEO_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** A secret is 32 to 128 URL-safe characters (at least 192 bits when random base64url). */
export const SECRET_PATTERN = /^[A-Za-z0-9_-]{32,128}$/;
// The expiry in canonical form only (no leading zero): one token per signature, never an alias.
const TOKEN_PATTERN = /^([A-Za-z0-9_-]{1,32})\.(0|[1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})$/;

/**
 * The furthest ahead a token may expire. The CDN refuses tokens that claim more, so a token
 * minted by mistake with a far expiry, or copied into a log, stops working within a week.
 */
export const MAX_TOKEN_LIFETIME_SECONDS = 7 * 24 * 60 * 60;

/** The KeyValueStore key that holds the secret for a key id. */
export const keyValueStoreKey = (keyId: string): string => `key:${keyId}`;

export interface SigningKey {
  /** Names the key; goes into every token it signs. */
  readonly keyId: string;
  /** The HMAC key, used as its UTF-8 bytes. */
  readonly secret: string;
}

export interface ParsedPlaybackToken {
  readonly keyId: string;
  readonly expiresAt: number;
  readonly signature: string;
}

export type PlaybackTokenCheck =
  | { readonly valid: true; readonly token: ParsedPlaybackToken }
  | {
      readonly valid: false;
      readonly reason: 'malformed' | 'unknown-key' | 'unusable-key' | 'expired' | 'expiry-too-far' | 'bad-signature';
    };

function sign(secret: string, videoId: string, expiresAt: number): string {
  return createHmac('sha256', secret).update(`${videoId}.${expiresAt}`).digest('base64url');
}

/** Mints a token for one video, valid until `expiresAt` (Unix seconds). */
export function mintPlaybackToken(key: SigningKey, videoId: string, expiresAt: number): string {
  if (!KEY_ID_PATTERN.test(key.keyId))
    throw new RangeError(`key id must match ${KEY_ID_PATTERN}, got ${JSON.stringify(key.keyId)}`);
  if (!SECRET_PATTERN.test(key.secret)) throw new RangeError(`secret must match ${SECRET_PATTERN}`);
  if (!VIDEO_ID_PATTERN.test(videoId))
    throw new RangeError(`video id must match ${VIDEO_ID_PATTERN}, got ${JSON.stringify(videoId)}`);
  if (!Number.isInteger(expiresAt) || expiresAt < 0 || expiresAt > 999_999_999_999) {
    throw new RangeError(`expiresAt must be a Unix time in whole seconds, got ${expiresAt}`);
  }
  return `${key.keyId}.${expiresAt}.${sign(key.secret, videoId, expiresAt)}`;
}

/** Splits a token into its parts, or returns undefined when it is not of the format. */
export function parsePlaybackToken(token: string): ParsedPlaybackToken | undefined {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return undefined;
  const [, keyId, expiresAt, signature] = match as unknown as [string, string, string, string];
  return { keyId, expiresAt: Number(expiresAt), signature };
}

/** The media path a token unlocks: the CDN serves `/t/{token}/v/{videoId}/{file}`. */
export function playbackPath(token: string, videoId: string, file: string): string {
  return `/t/${token}/v/${videoId}/${file}`;
}

/**
 * Checks a token for a video as the CDN does, with the secret looked up by key id.
 * Used by tests and tools; the CDN runs the CloudFront Function.
 */
export function verifyPlaybackToken(
  token: string,
  videoId: string,
  secretFor: (keyId: string) => string | undefined,
  nowSeconds: number,
): PlaybackTokenCheck {
  const parsed = parsePlaybackToken(token);
  if (!parsed || !VIDEO_ID_PATTERN.test(videoId)) return { valid: false, reason: 'malformed' };
  const secret = secretFor(parsed.keyId);
  if (secret === undefined) return { valid: false, reason: 'unknown-key' };
  // Fail closed: an empty or short secret in the store (a failed rotation step, say) would let
  // anyone sign; the CDN refuses every token of such a key, as this does.
  if (!SECRET_PATTERN.test(secret)) return { valid: false, reason: 'unusable-key' };
  if (parsed.expiresAt <= nowSeconds) return { valid: false, reason: 'expired' };
  if (parsed.expiresAt > nowSeconds + MAX_TOKEN_LIFETIME_SECONDS) return { valid: false, reason: 'expiry-too-far' };
  const expected = Buffer.from(sign(secret, videoId, parsed.expiresAt));
  const actual = Buffer.from(parsed.signature);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    return { valid: false, reason: 'bad-signature' };
  }
  return { valid: true, token: parsed };
}
