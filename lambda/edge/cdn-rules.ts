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

/** The two cache behaviours: manifests (`*.m3u8`) and everything else (segments, MP4, thumbnails). */
export type CdnBehaviour = 'manifest' | 'media';

/** The behaviour a path falls under; the token function keeps the suffix, so before or after it. */
export function behaviourFor(path: string): CdnBehaviour {
  return path.endsWith(MANIFEST_SUFFIX) ? 'manifest' : 'media';
}

/**
 * What each behaviour's cache policy puts in the cache key besides the path, as allow-lists (empty
 * means none). The playback token is in the path and the function strips it before the lookup, so
 * it is never part of the key: every viewer of a video shares one cached copy. Manifests are
 * compressed, so their key holds the normalised Accept-Encoding (one copy per encoding); media is
 * compressed already and keeps one copy.
 */
export const CACHE_KEY_POLICIES = {
  manifest: { queryStrings: [], cookies: [], headers: [], acceptEncodings: ['gzip', 'br'] },
  media: { queryStrings: [], cookies: [], headers: [], acceptEncodings: [] },
} as const satisfies Record<
  CdnBehaviour,
  {
    readonly queryStrings: readonly string[];
    readonly cookies: readonly string[];
    readonly headers: readonly string[];
    readonly acceptEncodings: readonly ('gzip' | 'br')[];
  }
>;

/**
 * A request as the viewer-request function returns it (CloudFront's event shape, header names in
 * lower case): what the cache key is computed from, after the token check.
 */
export interface KeyedRequest {
  readonly uri: string;
  readonly querystring?: Readonly<Record<string, { readonly value: string }>>;
  readonly headers?: Readonly<Record<string, { readonly value: string }>>;
  readonly cookies?: Readonly<Record<string, { readonly value: string }>>;
}

/** The encodings CloudFront keeps in the key: those the policy enables that the viewer accepts, sorted. */
function normalisedAcceptEncoding(header: string | undefined, enabled: readonly string[]): string[] {
  const accepted = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [coding = '', ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) continue;
    if (enabled.includes(coding)) accepted.add(coding);
  }
  return [...accepted].sort();
}

/**
 * The cache key of a request under its behaviour's policy: the path, then only the query strings,
 * cookies and headers the policy lists (none today), and the normalised Accept-Encoding where the
 * behaviour compresses. Everything else the viewer sent is left out.
 */
export function cacheKeyOf(request: KeyedRequest): string {
  const policy = CACHE_KEY_POLICIES[behaviourFor(request.uri)];
  const parts: string[] = [];
  const pick = (kind: string, names: readonly string[], from: KeyedRequest['headers']) => {
    for (const name of names) {
      const value = from?.[name]?.value;
      if (value !== undefined) parts.push(`${kind}:${name}=${encodeURIComponent(value)}`);
    }
  };
  pick('q', policy.queryStrings, request.querystring);
  pick('c', policy.cookies, request.cookies);
  pick('h', policy.headers, request.headers);
  const encodings = normalisedAcceptEncoding(request.headers?.['accept-encoding']?.value, policy.acceptEncodings);
  if (encodings.length > 0) parts.push(`h:accept-encoding=${encodings.join(',')}`);
  return parts.length === 0 ? request.uri : `${request.uri} ${parts.join('&')}`;
}

/** A behaviour's TTL bounds, in seconds, as its cache policy sets them. */
export interface CacheTtls {
  readonly minSeconds: number;
  readonly defaultSeconds: number;
  readonly maxSeconds: number;
}

/**
 * The cache policy's TTLs: manifests up to their TTL (an origin asking for less is obeyed), media
 * for exactly its TTL whatever the origin says, as it never changes under its key.
 */
export function cacheTtlsFor(behaviour: CdnBehaviour, ttlSeconds: number): CacheTtls {
  return behaviour === 'manifest'
    ? { minSeconds: 0, defaultSeconds: ttlSeconds, maxSeconds: ttlSeconds }
    : { minSeconds: ttlSeconds, defaultSeconds: ttlSeconds, maxSeconds: ttlSeconds };
}

/**
 * How long CloudFront keeps an origin response under a policy: the origin's `s-maxage` or
 * `max-age` held between the minimum and maximum TTL, or the default TTL when it sends neither.
 */
export function edgeTtlSeconds(ttls: CacheTtls, originCacheControl: string | undefined): number {
  const directive = (name: string) =>
    new RegExp(`(?:^|,)\\s*${name}\\s*=\\s*"?([0-9]+)`, 'i').exec(originCacheControl ?? '')?.[1];
  const asked = directive('s-maxage') ?? directive('max-age');
  if (asked === undefined) return ttls.defaultSeconds;
  return Math.min(ttls.maxSeconds, Math.max(ttls.minSeconds, Number(asked)));
}
