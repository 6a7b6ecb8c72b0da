import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { cacheControlFor, MANIFEST_SUFFIX } from '../../lambda/edge/cdn-rules';
import { PLAYBACK_TOKEN_FUNCTION_PATH } from '../../lambda/edge/functions';
import { GuardRule, NagRule } from '../checks';
import { DEFAULT_CONFIG } from '../config';
import { accountUniqueName, cdnCachePolicy, cdnResponseHeadersPolicy } from './cdn-policies';
import { PlatformKey } from './platform-key';

/** The key id of the signing key generated at the first deploy. */
export const INITIAL_SIGNING_KEY_ID = 'k1';

/** What reading the signing key store takes. */
const SIGNING_KEY_READ_ACTIONS = [
  'cloudfront-keyvaluestore:DescribeKeyValueStore',
  'cloudfront-keyvaluestore:GetKey',
  'cloudfront-keyvaluestore:ListKeys',
] as const;

/** What changing its keys takes, besides reading. */
const SIGNING_KEY_WRITE_ACTIONS = ['cloudfront-keyvaluestore:PutKey', 'cloudfront-keyvaluestore:DeleteKey'] as const;

/** Viewer paths, before the token function strips `/t/{token}`. Manifests get the short TTL. */
export const MANIFEST_PATH_PATTERN = `*${MANIFEST_SUFFIX}`;

export interface DeliveryProps {
  /** The bucket holding the transcoded outputs under `v/{id}/`. */
  readonly mediaBucket: s3.IBucket;
  /** The bucket that receives CloudFront access logs (must allow ACL-based log delivery). */
  readonly logBucket: s3.IBucket;
  /**
   * ARN of a CLOUDFRONT-scope WAF web ACL (created in us-east-1).
   * @default - no web ACL
   */
  readonly webAclArn?: string;
  /**
   * Origins allowed to read media from a web page (CORS).
   * @default - the `vod` setting's default, `allowedOrigins` (see docs/configuration.md)
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Edge locations that serve viewers.
   * @default - the `vod` setting's default, `priceClass` (see docs/configuration.md)
   */
  readonly priceClass?: cloudfront.PriceClass;
  /**
   * How long manifests are cached.
   * @default - the `vod` setting's default, `manifestTtlSeconds` (see docs/configuration.md)
   */
  readonly manifestTtl?: Duration;
  /**
   * How long segments, MP4 files and thumbnails are cached.
   * @default - the `vod` setting's default, `mediaTtlSeconds` (see docs/configuration.md)
   */
  readonly mediaTtl?: Duration;
  /**
   * Region of an Origin Shield in front of the bucket.
   * @default - no Origin Shield
   */
  readonly originShieldRegion?: string;
  /**
   * Custom domain names; needs `certificate`.
   * @default - the distribution's cloudfront.net name
   */
  readonly domainNames?: readonly string[];
  /**
   * An ACM certificate in us-east-1 covering `domainNames`.
   * @default - none
   */
  readonly certificate?: acm.ICertificate;
}

/**
 * The CDN: a CloudFront distribution over the private media bucket (origin access control),
 * HTTP/2 and HTTP/3, with every media path guarded by a playback token that a CloudFront
 * Function checks and strips before the cache lookup.
 */
export class Delivery extends Construct {
  public readonly distribution: cloudfront.Distribution;
  /** Holds the playback signing keys as `key:{keyId}` → secret; rotate keys here, no redeploy. */
  public readonly signingKeys: cloudfront.KeyValueStore;
  /**
   * The key the API mints playback tokens with, as `{"keyId":"k1","secret":"…"}`: generated at
   * deploy, copied by the operator into `signingKeys` (the CDN only trusts keys in the store).
   */
  public readonly signingKeySecret: secretsmanager.Secret;
  /** Encrypts `signingKeySecret`. */
  public readonly signingKeySecretKey: PlatformKey;
  /** The viewer-request function that checks playback tokens. */
  public readonly tokenFunction: cloudfront.Function;
  /** Short-TTL policy for HLS manifests. */
  public readonly manifestCachePolicy: cloudfront.CachePolicy;
  /** Long-TTL policy for segments, MP4 and thumbnails. */
  public readonly mediaCachePolicy: cloudfront.CachePolicy;
  /** CORS, security headers and the manifests' `Cache-Control` for browsers. */
  public readonly manifestResponseHeaders: cloudfront.ResponseHeadersPolicy;
  /** CORS, security headers and the media's `Cache-Control` for browsers. */
  public readonly mediaResponseHeaders: cloudfront.ResponseHeadersPolicy;

  constructor(scope: Construct, id: string, props: DeliveryProps) {
    super(scope, id);
    const manifestTtl = props.manifestTtl ?? Duration.seconds(DEFAULT_CONFIG.manifestTtlSeconds);
    const mediaTtl = props.mediaTtl ?? Duration.seconds(DEFAULT_CONFIG.mediaTtlSeconds);
    if (manifestTtl.toSeconds() < 1) {
      // A cache policy that compresses (Accept-Encoding in the key) needs a TTL above zero.
      throw new Error(
        `Delivery: manifestTtl must be at least 1 s so manifests can be compressed, received ${manifestTtl.toSeconds()} s`,
      );
    }
    if (manifestTtl.toSeconds() > mediaTtl.toSeconds()) {
      throw new Error(
        `Delivery: manifestTtl (${manifestTtl.toSeconds()} s) must not exceed mediaTtl (${mediaTtl.toSeconds()} s)`,
      );
    }
    if ((props.domainNames?.length ?? 0) > 0 !== (props.certificate !== undefined)) {
      throw new Error('Delivery: domainNames and certificate go together; received only one of them');
    }
    const allowedOrigins = props.allowedOrigins ?? DEFAULT_CONFIG.allowedOrigins;
    if (allowedOrigins.length === 0) {
      throw new Error('Delivery: allowedOrigins must name at least one origin (or "*"), received []');
    }

    this.signingKeys = new cloudfront.KeyValueStore(this, 'SigningKeys', {
      keyValueStoreName: accountUniqueName(this),
      comment: 'Playback token signing keys: key:{keyId} -> secret',
    });
    this.signingKeySecretKey = new PlatformKey(this, 'SigningKeySecretKey', {
      description: 'Encrypts the current playback signing key',
    });
    this.signingKeySecret = new secretsmanager.Secret(this, 'SigningKeySecret', {
      description: 'Current playback signing key {keyId, secret}; copy it into the signing key store before use',
      encryptionKey: this.signingKeySecretKey,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ keyId: INITIAL_SIGNING_KEY_ID }),
        generateStringKey: 'secret',
        // Letters and digits only: a valid playback-token secret, and safe to paste into a shell.
        excludePunctuation: true,
        includeSpace: false,
        passwordLength: 48,
      },
    });
    Validations.of(this.signingKeySecret).acknowledge({
      id: NagRule.secretsManagerRotation,
      reason:
        'A new signing key must reach the CloudFront key store before the API signs with it, an ordered manual step (docs/deploy.md: rotating a key); automatic rotation would make the API mint tokens the CDN refuses.',
    });

    this.tokenFunction = new cloudfront.Function(this, 'TokenFunction', {
      comment: 'Checks /t/{token}/v/{id}/... and strips the token before the cache lookup',
      code: cloudfront.FunctionCode.fromFile({ filePath: PLAYBACK_TOKEN_FUNCTION_PATH }),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      keyValueStore: this.signingKeys,
    });

    // The cache keys and TTLs come from cdn-rules, which the twin's edge cache reads too. The
    // token is stripped from the path before the lookup, so one cached copy serves every viewer.
    this.manifestCachePolicy = cdnCachePolicy(
      this,
      'ManifestCachePolicy',
      'manifest',
      manifestTtl,
      'HLS manifests: cached briefly, compressed',
    );
    // Video is already compressed; splitting the cache by Accept-Encoding would only cost.
    this.mediaCachePolicy = cdnCachePolicy(
      this,
      'MediaCachePolicy',
      'media',
      mediaTtl,
      'Segments, MP4 and thumbnails: immutable under their key, cached long',
    );

    // Browsers and players get the same freshness as the CDN: manifests briefly, media for long.
    this.manifestResponseHeaders = cdnResponseHeadersPolicy(
      this,
      'ManifestResponseHeaders',
      cacheControlFor('manifest', manifestTtl.toSeconds()),
      allowedOrigins,
    );
    this.mediaResponseHeaders = cdnResponseHeadersPolicy(
      this,
      'MediaResponseHeaders',
      cacheControlFor('media', mediaTtl.toSeconds()),
      allowedOrigins,
    );

    const originAccessControl = new cloudfront.S3OriginAccessControl(this, 'OriginAccessControl', {
      originAccessControlName: accountUniqueName(this),
      description: 'CloudFront reads the media bucket with SigV4-signed requests',
      signing: cloudfront.Signing.SIGV4_ALWAYS,
    });
    const origin = origins.S3BucketOrigin.withOriginAccessControl(props.mediaBucket, {
      originAccessControl,
      originAccessLevels: [cloudfront.AccessLevel.READ],
      ...(props.originShieldRegion ? { originShieldRegion: props.originShieldRegion } : {}),
    });
    const behavior = (
      cachePolicy: cloudfront.ICachePolicy,
      responseHeadersPolicy: cloudfront.IResponseHeadersPolicy,
      compress: boolean,
    ): cloudfront.BehaviorOptions => ({
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      // GET and HEAD pass Range headers through to S3 (206/416). OPTIONS (CORS preflights) goes
      // to S3 with the CORS request headers and is never cached: the cache key has no Origin, so
      // one refused preflight must not be served to everyone.
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
      originRequestPolicy: cloudfront.OriginRequestPolicy.CORS_S3_ORIGIN,
      cachePolicy,
      compress,
      responseHeadersPolicy,
      functionAssociations: [{ function: this.tokenFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Video delivery: HLS, MP4 with Range, thumbnails; every path needs a playback token',
      defaultBehavior: behavior(this.mediaCachePolicy, this.mediaResponseHeaders, false),
      additionalBehaviors: {
        [MANIFEST_PATH_PATTERN]: behavior(this.manifestCachePolicy, this.manifestResponseHeaders, true),
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass ?? (DEFAULT_CONFIG.priceClass as cloudfront.PriceClass),
      enableIpv6: true,
      enableLogging: true,
      logBucket: props.logBucket,
      logFilePrefix: 'cloudfront/',
      ...(props.webAclArn ? { webAclId: props.webAclArn } : {}),
      ...(props.certificate
        ? {
            certificate: props.certificate,
            domainNames: [...(props.domainNames ?? [])],
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            sslSupportMethod: cloudfront.SSLMethod.SNI,
          }
        : {}),
    });

    Validations.of(this.distribution).acknowledge(
      {
        id: NagRule.cloudFrontGeoRestriction,
        reason: 'Video is licensed per audience by the operator; geo restriction is opt-in through the distribution.',
      },
      {
        id: GuardRule.cloudFrontDefaultRootObject,
        reason: 'The distribution serves media under /t/{token}/v/{id}/...; there is no index page to default to.',
      },
      {
        id: GuardRule.cloudFrontOriginFailover,
        reason:
          'One private S3 origin; a failover origin would need a replicated bucket, a cost the operator opts into.',
      },
      ...(props.certificate
        ? []
        : [
            {
              id: NagRule.cloudFrontTlsWithDefaultCertificate,
              reason:
                'Without a custom domain CloudFront serves its default certificate; TLSv1.2_2021 applies once domainNames are set.',
            },
            {
              id: GuardRule.cloudFrontCustomCertificate,
              reason: 'A custom certificate needs a custom domain, which is optional (domainNames, certificateArn).',
            },
            {
              id: GuardRule.cloudFrontSni,
              reason: 'SNI applies to custom certificates, which come with the optional custom domain.',
            },
            {
              id: GuardRule.cloudFrontTlsPolicy,
              reason:
                'The TLSv1.2_2021 minimum applies once a custom domain is set; the default certificate cannot carry it.',
            },
          ]),
    );
  }

  /**
   * Lets the grantee read the playback signing keys from the KeyValueStore: describe it, list
   * and get its keys, and nothing else.
   */
  public grantSigningKeyRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnSigningKeys(grantee, SIGNING_KEY_READ_ACTIONS);
  }

  /**
   * Lets the grantee add, rotate and remove playback signing keys (docs/deploy.md, "Rotating a key"); with
   * the reads, since every write names the store's current ETag.
   */
  public grantSigningKeyWrite(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnSigningKeys(grantee, [...SIGNING_KEY_READ_ACTIONS, ...SIGNING_KEY_WRITE_ACTIONS]);
  }

  /**
   * Lets the grantee read the current signing key from Secrets Manager (the API's playback
   * route mints tokens with it): `GetSecretValue` on this secret, and decrypt through Secrets
   * Manager only.
   */
  public grantReadCurrentSigningKey(grantee: iam.IGrantable): iam.Grant {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt'],
      resourceArns: [this.signingKeySecretKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
    });
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [this.signingKeySecret.secretArn],
    });
  }

  private grantOnSigningKeys(grantee: iam.IGrantable, actions: readonly string[]): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...actions],
      resourceArns: [this.signingKeys.keyValueStoreArn],
    });
  }
}
