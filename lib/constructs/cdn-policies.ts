import { Duration, Names, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type { Construct } from 'constructs';
import {
  CACHE_KEY_POLICIES,
  type CdnBehaviour,
  cacheTtlsFor,
  PLAYER_ALLOWED_HEADERS,
  PLAYER_ALLOWED_METHODS,
  PLAYER_CORS_MAX_AGE_SECONDS,
  PLAYER_EXPOSED_HEADERS,
  SECURITY_HEADERS,
} from '../../lambda/edge/cdn-rules';

/**
 * CloudFront resources are global: their names must be unique in the account, so the same
 * stack deployed to two regions needs the region in each name (as CDK does for cache policies).
 */
export function accountUniqueName(scope: Construct): string {
  return `${Names.uniqueResourceName(scope, { maxLength: 48, separator: '-' })}-${Stack.of(scope).region}`;
}

/**
 * A cache policy with the cache key and TTLs that cdn-rules gives the behaviour (the twin's edge
 * cache reads the same rules), made in `scope` as `id`.
 */
export function cdnCachePolicy(
  scope: Construct,
  id: string,
  behaviour: CdnBehaviour,
  ttl: Duration,
  comment: string,
): cloudfront.CachePolicy {
  const key = CACHE_KEY_POLICIES[behaviour];
  const ttls = cacheTtlsFor(behaviour, ttl.toSeconds());
  return new cloudfront.CachePolicy(scope, id, {
    comment,
    queryStringBehavior:
      key.queryStrings.length > 0
        ? cloudfront.CacheQueryStringBehavior.allowList(...key.queryStrings)
        : cloudfront.CacheQueryStringBehavior.none(),
    cookieBehavior:
      key.cookies.length > 0
        ? cloudfront.CacheCookieBehavior.allowList(...key.cookies)
        : cloudfront.CacheCookieBehavior.none(),
    headerBehavior:
      key.headers.length > 0
        ? cloudfront.CacheHeaderBehavior.allowList(...key.headers)
        : cloudfront.CacheHeaderBehavior.none(),
    defaultTtl: Duration.seconds(ttls.defaultSeconds),
    minTtl: Duration.seconds(ttls.minSeconds),
    maxTtl: Duration.seconds(ttls.maxSeconds),
    enableAcceptEncodingGzip: (key.acceptEncodings as readonly string[]).includes('gzip'),
    enableAcceptEncodingBrotli: (key.acceptEncodings as readonly string[]).includes('br'),
  });
}

/**
 * CORS for web players, the security headers, and `Cache-Control` for browsers, made in `scope`
 * as `id`. Not overriding `Cache-Control` keeps one already set (the token check's no-store on
 * a 403).
 */
export function cdnResponseHeadersPolicy(
  scope: Construct,
  id: string,
  cacheControl: string,
  allowedOrigins: readonly string[],
): cloudfront.ResponseHeadersPolicy {
  return new cloudfront.ResponseHeadersPolicy(scope, id, {
    responseHeadersPolicyName: `${accountUniqueName(scope)}-${id}`,
    comment: `CORS for web players, security headers, Cache-Control: ${cacheControl}`,
    customHeadersBehavior: { customHeaders: [{ header: 'Cache-Control', value: cacheControl, override: false }] },
    corsBehavior: {
      accessControlAllowOrigins: [...allowedOrigins],
      accessControlAllowMethods: [...PLAYER_ALLOWED_METHODS],
      accessControlAllowHeaders: PLAYER_ALLOWED_HEADERS,
      accessControlExposeHeaders: PLAYER_EXPOSED_HEADERS,
      accessControlAllowCredentials: false,
      accessControlMaxAge: Duration.seconds(PLAYER_CORS_MAX_AGE_SECONDS),
      originOverride: true,
    },
    securityHeadersBehavior: {
      strictTransportSecurity: {
        accessControlMaxAge: Duration.seconds(SECURITY_HEADERS.strictTransportSecurity.maxAgeSeconds),
        includeSubdomains: SECURITY_HEADERS.strictTransportSecurity.includeSubdomains,
        preload: SECURITY_HEADERS.strictTransportSecurity.preload,
        override: true,
      },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: SECURITY_HEADERS.frameOption as cloudfront.HeadersFrameOption, override: true },
      referrerPolicy: {
        referrerPolicy: SECURITY_HEADERS.referrerPolicy as cloudfront.HeadersReferrerPolicy,
        override: true,
      },
      contentSecurityPolicy: { contentSecurityPolicy: SECURITY_HEADERS.contentSecurityPolicy, override: true },
    },
    removeHeaders: [
      'x-amz-server-side-encryption',
      'x-amz-server-side-encryption-aws-kms-key-id',
      'x-amz-server-side-encryption-bucket-key-enabled',
      'x-amz-version-id',
    ],
  });
}
