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

/** The methods the CDN serves (CloudFront's ALLOW_GET_HEAD_OPTIONS); CORS allows the same. */
export const PLAYER_ALLOWED_METHODS = ['GET', 'HEAD', 'OPTIONS'] as const;

/**
 * The security headers of the CDN's response headers policies, which override whatever the
 * origin sent. The values are CloudFront's own spellings (its frame option and referrer policy
 * enums), so the construct can pass them through.
 */
export const SECURITY_HEADERS = {
  strictTransportSecurity: { maxAgeSeconds: 730 * 86_400, includeSubdomains: true, preload: false },
  contentTypeOptions: 'nosniff',
  frameOption: 'DENY',
  referrerPolicy: 'strict-origin-when-cross-origin',
  contentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'",
} as const;

/** `SECURITY_HEADERS` as the response header fields CloudFront adds. */
export function securityHeaderFields(): Record<string, string> {
  const hsts = SECURITY_HEADERS.strictTransportSecurity;
  return {
    'Strict-Transport-Security': [
      `max-age=${hsts.maxAgeSeconds}`,
      ...(hsts.includeSubdomains ? ['includeSubDomains'] : []),
      ...(hsts.preload ? ['preload'] : []),
    ].join('; '),
    'X-Content-Type-Options': SECURITY_HEADERS.contentTypeOptions,
    'X-Frame-Options': SECURITY_HEADERS.frameOption,
    'Referrer-Policy': SECURITY_HEADERS.referrerPolicy,
    'Content-Security-Policy': SECURITY_HEADERS.contentSecurityPolicy,
  };
}
