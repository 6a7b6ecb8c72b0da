/**
 * What the CDN does besides the token check, as data: the `Delivery` construct configures
 * CloudFront with it and the local twin's edge applies it, so the two cannot drift apart. No CDK
 * imports here, so the twin starts without loading aws-cdk-lib.
 */

/** Viewer paths ending in this are manifests: cached briefly and compressed. */
export const MANIFEST_SUFFIX = '.m3u8';

/** Response headers a web player must be able to read from media responses (CORS). */
export const PLAYER_EXPOSED_HEADERS = ['Content-Length', 'Content-Range', 'Accept-Ranges', 'ETag'];

/** Request headers a web player may send cross-origin (CORS). */
export const PLAYER_ALLOWED_HEADERS = ['Range', 'If-None-Match', 'If-Range'];

/** How long browsers may cache a CORS preflight answer, in seconds. */
export const PLAYER_CORS_MAX_AGE_SECONDS = 86_400;

/**
 * CloudFront compresses responses from 1,000 bytes to 10,000,000 bytes, and only when the
 * behaviour compresses (manifests here) and the viewer accepts gzip or Brotli.
 */
export const COMPRESSIBLE_BYTES = { min: 1_000, max: 10_000_000 } as const;

/**
 * The `Cache-Control` the CDN sends with manifests and with media (segments, MP4, thumbnails).
 * Media never changes under its key, hence `immutable`.
 */
export function cacheControlFor(kind: 'manifest' | 'media', ttlSeconds: number): string {
  const maxAge = `max-age=${ttlSeconds}`;
  return kind === 'media' ? `${maxAge}, immutable` : maxAge;
}
