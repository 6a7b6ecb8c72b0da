import type { Node } from 'constructs';

/** CloudFront price classes, cheapest first. */
export const PRICE_CLASSES = ['PriceClass_100', 'PriceClass_200', 'PriceClass_All'] as const;
export type PriceClassName = (typeof PRICE_CLASSES)[number];

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** WAF rate-based rules count requests over one of these windows, in seconds. */
export const RATE_WINDOWS_SECONDS = [60, 120, 300, 600] as const;

/** S3's largest object: 5 TiB. */
export const MAX_OBJECT_BYTES = 5_497_558_138_880;

/** Video types the API accepts for upload unless configured otherwise. */
export const DEFAULT_CONTENT_TYPES = [
  'video/mp4',
  'video/quicktime',
  'video/x-matroska',
  'video/webm',
  'video/x-msvideo',
  'video/mpeg',
  'video/mp2t',
  'video/x-m4v',
] as const;

/**
 * Everything a platform team can tune without touching code.
 *
 * Every field has a default; override any of them in `cdk.json` under the `vod` context key,
 * or on the command line (`cdk synth -c vod='{"region":"eu-central-1"}'`).
 */
export interface PlatformConfig {
  /**
   * Prefix of the stack names.
   * @default 'Vod'
   */
  readonly stackPrefix: string;
  /**
   * Region of the platform stack (buckets, API, pipeline). The edge stack always lives in
   * us-east-1, where AWS requires CLOUDFRONT-scope web ACLs.
   * @default 'eu-west-1'
   */
  readonly region: string;
  /**
   * Account to deploy to. Leave unset for an environment-agnostic synth; `cdk deploy` uses the
   * account of the current credentials.
   * @default - the CLI's current account
   */
  readonly account?: string;
  /**
   * CloudFront price class: which edge locations serve viewers.
   * @default 'PriceClass_100' (North America and Europe: the cheapest)
   */
  readonly priceClass: PriceClassName;
  /**
   * Origins allowed to call the CDN and to PUT upload parts from a browser. `*` allows any
   * origin: safe here because neither the CDN nor the presigned URLs use cookies, and every
   * request carries its own short-lived credential (a path token or a presigned signature).
   * @default ['*']
   */
  readonly allowedOrigins: readonly string[];
  /**
   * How long CloudWatch keeps logs (WAF logs, API access logs, Lambda logs), in days.
   * @default 365
   */
  readonly logRetentionDays: (typeof LOG_RETENTION_DAYS)[number];
  /**
   * How long access logs in the log bucket are kept, in days.
   * @default 365
   */
  readonly accessLogExpirationDays: number;
  /**
   * Days after which S3 aborts an unfinished multipart upload and frees its parts.
   * @default 7
   */
  readonly abortIncompleteUploadAfterDays: number;
  /**
   * How long CloudFront caches HLS manifests, in seconds.
   * @default 10
   */
  readonly manifestTtlSeconds: number;
  /**
   * How long CloudFront caches segments, MP4 files and thumbnails, in seconds. They never
   * change under a key, so this can be long.
   * @default 31536000 (one year)
   */
  readonly mediaTtlSeconds: number;
  /**
   * The WAF window over which rate limits below are counted, in seconds.
   * @default 300
   */
  readonly rateWindowSeconds: (typeof RATE_WINDOWS_SECONDS)[number];
  /**
   * Requests one IP may make to the CDN per window. A viewer fetches one segment every 4–6 s,
   * so the default leaves room for many viewers behind one carrier-grade NAT.
   * @default 3000
   */
  readonly cdnRateLimit: number;
  /**
   * Requests one IP may make to the API per window.
   * @default 1000
   */
  readonly apiRateLimit: number;
  /**
   * `POST /videos` (upload creation) calls one IP may make per window.
   * @default 30
   */
  readonly uploadCreationRateLimit: number;
  /**
   * Region of the CloudFront Origin Shield in front of the media bucket; unset disables it.
   * @default - no Origin Shield
   */
  readonly originShieldRegion?: string;
  /**
   * Custom domain names for the CDN. Requires `certificateArn`.
   * @default - the distribution's own cloudfront.net name
   */
  readonly domainNames?: readonly string[];
  /**
   * ARN of an ACM certificate in us-east-1 that covers `domainNames`.
   * @default - none
   */
  readonly certificateArn?: string;
  /**
   * Largest source file a user may upload, in bytes (S3 allows up to 5 TiB).
   * @default 53687091200 (50 GiB)
   */
  readonly maxUploadBytes: number;
  /**
   * Media types a source file may declare (`video/…`); anything else is refused with 415.
   * @default MP4, QuickTime, Matroska, WebM, AVI, MPEG, MPEG-TS and M4V
   */
  readonly allowedContentTypes: readonly string[];
  /**
   * How long a presigned upload-part URL stays valid, in seconds.
   * @default 3600
   */
  readonly uploadUrlTtlSeconds: number;
  /**
   * How long a playback token for a public video stays valid, in seconds.
   * @default 86400 (one day)
   */
  readonly publicPlaybackTtlSeconds: number;
  /**
   * How long a playback token for a private video stays valid, in seconds.
   * @default 14400 (four hours)
   */
  readonly privatePlaybackTtlSeconds: number;
  /**
   * How long video metadata stays in the cache, in seconds (every write invalidates it anyway).
   * @default 300
   */
  readonly metadataCacheTtlSeconds: number;
  /**
   * Steady request rate the API stage accepts, per second, across all callers.
   * @default 1000
   */
  readonly apiThrottleRatePerSecond: number;
  /**
   * Requests the API stage accepts in a burst above the steady rate.
   * @default 2000
   */
  readonly apiThrottleBurst: number;
  /**
   * Steady rate of `POST /videos` (upload creation), per second, across all callers.
   * @default 10
   */
  readonly uploadCreationThrottleRatePerSecond: number;
  /**
   * `POST /videos` calls accepted in a burst above the steady rate.
   * @default 20
   */
  readonly uploadCreationThrottleBurst: number;
  /**
   * Most data the metadata cache may hold, in GB; a hard cap on its storage cost.
   * @default 1
   */
  readonly cacheMaxDataStorageGb: number;
  /**
   * Most ElastiCache Processing Units the metadata cache may use per second; a hard cap on its
   * compute cost. Beyond it the cache throttles and the API reads from DynamoDB.
   * @default 5000
   */
  readonly cacheMaxEcpuPerSecond: number;
  /**
   * An existing Cognito user pool (in the platform region) to authenticate API callers; needs
   * `userPoolClientId`.
   * @default - the API creates its own user pool
   */
  readonly userPoolId?: string;
  /**
   * The app client of `userPoolId` whose ID tokens the API accepts.
   * @default - the API creates its own app client
   */
  readonly userPoolClientId?: string;
  /**
   * The HTTPS endpoint that receives signed `video.ready`, `video.failed` and `video.deleted`
   * events (see docs/webhooks.md).
   * @default - no webhooks
   */
  readonly webhookUrl?: string;
}

export const DEFAULT_CONFIG: PlatformConfig = {
  stackPrefix: 'Vod',
  region: 'eu-west-1',
  priceClass: 'PriceClass_100',
  allowedOrigins: ['*'],
  logRetentionDays: 365,
  accessLogExpirationDays: 365,
  abortIncompleteUploadAfterDays: 7,
  manifestTtlSeconds: 10,
  mediaTtlSeconds: 31_536_000,
  rateWindowSeconds: 300,
  cdnRateLimit: 3000,
  apiRateLimit: 1000,
  uploadCreationRateLimit: 30,
  maxUploadBytes: 53_687_091_200,
  allowedContentTypes: DEFAULT_CONTENT_TYPES,
  uploadUrlTtlSeconds: 3600,
  publicPlaybackTtlSeconds: 86_400,
  privatePlaybackTtlSeconds: 14_400,
  metadataCacheTtlSeconds: 300,
  apiThrottleRatePerSecond: 1000,
  apiThrottleBurst: 2000,
  uploadCreationThrottleRatePerSecond: 10,
  uploadCreationThrottleBurst: 20,
  cacheMaxDataStorageGb: 1,
  cacheMaxEcpuPerSecond: 5000,
};

/** Settings without a default; unset means "not used" or "created by the stack". */
export const OPTIONAL_SETTINGS = [
  'account',
  'originShieldRegion',
  'domainNames',
  'certificateArn',
  'userPoolId',
  'userPoolClientId',
  'webhookUrl',
] as const;

/** The context key under which `cdk.json` overrides the defaults. */
export const CONFIG_CONTEXT_KEY = 'vod';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ACCOUNT = /^\d{12}$/;
/** An https URL without spaces, credentials or fragment. */
const WEBHOOK_URL = /^https:\/\/[a-z0-9.-]+(:\d{1,5})?(\/[^\s#@]*)?$/i;
const ORIGIN = /^(\*|https:\/\/[a-z0-9.-]+(:\d{1,5})?|http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?)$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const ACM_ARN = /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/;
const CONTENT_TYPE = /^video\/[a-z0-9.+-]+$/;
const USER_POOL_ID = /^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/;
const USER_POOL_CLIENT_ID = /^[0-9A-Za-z]{1,128}$/;
// API Gateway's account-level default is 10,000 requests per second; quotas can be raised.
const MAX_THROTTLE = 1_000_000;

/** Thrown when configuration is not what the stack can deploy; the message says what to fix. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function fail(field: string, expected: string, received: unknown): never {
  throw new ConfigError(
    `Invalid config "${field ? `${CONFIG_CONTEXT_KEY}.${field}` : CONFIG_CONTEXT_KEY}": expected ${expected}, received ${JSON.stringify(received)}`,
  );
}

function integer(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

function oneOf<T extends string | number>(field: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) fail(field, `one of ${allowed.join(', ')}`, value);
  return value as T;
}

function text(field: string, value: unknown, pattern: RegExp, expected: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) fail(field, expected, value);
  return value;
}

function list(field: string, value: unknown, pattern: RegExp, expected: string): string[] {
  if (!Array.isArray(value) || value.length === 0) fail(field, `a non-empty list of ${expected}`, value);
  return value.map((item, index) => text(`${field}[${index}]`, item, pattern, expected));
}

/**
 * Merges overrides into the defaults and checks every field, so that a typo fails the synth
 * with a message naming the field, instead of failing a deploy twenty minutes later.
 */
export function resolveConfig(overrides: unknown = {}): PlatformConfig {
  if (typeof overrides === 'string') {
    try {
      return resolveConfig(JSON.parse(overrides));
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      fail('', 'a JSON object', overrides);
    }
  }
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    fail('', 'an object', overrides);
  }
  const known = new Set<string>([...Object.keys(DEFAULT_CONFIG), ...OPTIONAL_SETTINGS]);
  for (const key of Object.keys(overrides)) {
    if (!known.has(key)) fail(key, `one of the known settings (${[...known].join(', ')})`, key);
  }
  const raw = { ...DEFAULT_CONFIG, ...(overrides as Partial<Record<keyof PlatformConfig, unknown>>) };

  const config: PlatformConfig = {
    stackPrefix: text(
      'stackPrefix',
      raw.stackPrefix,
      /^[A-Za-z][A-Za-z0-9-]{0,39}$/,
      'a letter then up to 39 letters, digits or dashes',
    ),
    region: text('region', raw.region, REGION, 'an AWS region name such as eu-west-1'),
    account: raw.account === undefined ? undefined : text('account', raw.account, ACCOUNT, 'a 12-digit AWS account id'),
    priceClass: oneOf('priceClass', raw.priceClass, PRICE_CLASSES),
    allowedOrigins: list(
      'allowedOrigins',
      raw.allowedOrigins,
      ORIGIN,
      '"*", https origins, or http://localhost origins',
    ),
    logRetentionDays: oneOf('logRetentionDays', raw.logRetentionDays, LOG_RETENTION_DAYS),
    accessLogExpirationDays: integer('accessLogExpirationDays', raw.accessLogExpirationDays, 1, 3653),
    abortIncompleteUploadAfterDays: integer(
      'abortIncompleteUploadAfterDays',
      raw.abortIncompleteUploadAfterDays,
      1,
      365,
    ),
    // CloudFront only compresses from the cache, so a cached TTL of at least 1 s is needed.
    manifestTtlSeconds: integer('manifestTtlSeconds', raw.manifestTtlSeconds, 1, 3600),
    mediaTtlSeconds: integer('mediaTtlSeconds', raw.mediaTtlSeconds, 60, 31_536_000),
    rateWindowSeconds: oneOf('rateWindowSeconds', raw.rateWindowSeconds, RATE_WINDOWS_SECONDS),
    // WAF accepts rate limits from 10 to 2,000,000,000 requests per window.
    cdnRateLimit: integer('cdnRateLimit', raw.cdnRateLimit, 10, 2_000_000_000),
    apiRateLimit: integer('apiRateLimit', raw.apiRateLimit, 10, 2_000_000_000),
    uploadCreationRateLimit: integer('uploadCreationRateLimit', raw.uploadCreationRateLimit, 10, 2_000_000_000),
    originShieldRegion:
      raw.originShieldRegion === undefined
        ? undefined
        : text('originShieldRegion', raw.originShieldRegion, REGION, 'an AWS region name'),
    domainNames:
      raw.domainNames === undefined ? undefined : list('domainNames', raw.domainNames, DOMAIN, 'lower-case DNS names'),
    certificateArn:
      raw.certificateArn === undefined
        ? undefined
        : text('certificateArn', raw.certificateArn, ACM_ARN, 'an ACM certificate ARN in us-east-1'),
    maxUploadBytes: integer('maxUploadBytes', raw.maxUploadBytes, 1, MAX_OBJECT_BYTES),
    allowedContentTypes: list(
      'allowedContentTypes',
      raw.allowedContentTypes,
      CONTENT_TYPE,
      'video media types such as video/mp4',
    ),
    // S3 presigned URLs may live up to 7 days, but a long-lived upload URL is a bearer credential.
    uploadUrlTtlSeconds: integer('uploadUrlTtlSeconds', raw.uploadUrlTtlSeconds, 60, 21_600),
    // The CDN refuses tokens that claim to stay valid more than 7 days ahead.
    publicPlaybackTtlSeconds: integer('publicPlaybackTtlSeconds', raw.publicPlaybackTtlSeconds, 60, 604_800),
    privatePlaybackTtlSeconds: integer('privatePlaybackTtlSeconds', raw.privatePlaybackTtlSeconds, 60, 604_800),
    metadataCacheTtlSeconds: integer('metadataCacheTtlSeconds', raw.metadataCacheTtlSeconds, 1, 86_400),
    apiThrottleRatePerSecond: integer('apiThrottleRatePerSecond', raw.apiThrottleRatePerSecond, 1, MAX_THROTTLE),
    apiThrottleBurst: integer('apiThrottleBurst', raw.apiThrottleBurst, 1, MAX_THROTTLE),
    uploadCreationThrottleRatePerSecond: integer(
      'uploadCreationThrottleRatePerSecond',
      raw.uploadCreationThrottleRatePerSecond,
      1,
      MAX_THROTTLE,
    ),
    uploadCreationThrottleBurst: integer(
      'uploadCreationThrottleBurst',
      raw.uploadCreationThrottleBurst,
      1,
      MAX_THROTTLE,
    ),
    // ElastiCache Serverless accepts 1 to 5000 GB and 1000 to 15,000,000 ECPU per second.
    cacheMaxDataStorageGb: integer('cacheMaxDataStorageGb', raw.cacheMaxDataStorageGb, 1, 5000),
    cacheMaxEcpuPerSecond: integer('cacheMaxEcpuPerSecond', raw.cacheMaxEcpuPerSecond, 1000, 15_000_000),
    userPoolId:
      raw.userPoolId === undefined
        ? undefined
        : text('userPoolId', raw.userPoolId, USER_POOL_ID, 'a Cognito user pool id such as eu-west-1_AbC123'),
    userPoolClientId:
      raw.userPoolClientId === undefined
        ? undefined
        : text(
            'userPoolClientId',
            raw.userPoolClientId,
            USER_POOL_CLIENT_ID,
            'a Cognito app client id (letters and digits)',
          ),
    webhookUrl:
      raw.webhookUrl === undefined
        ? undefined
        : text('webhookUrl', raw.webhookUrl, WEBHOOK_URL, 'an https:// URL without credentials or fragment'),
  };
  if ((config.domainNames === undefined) !== (config.certificateArn === undefined)) {
    fail('certificateArn', 'both domainNames and certificateArn, or neither', {
      domainNames: config.domainNames,
      certificateArn: config.certificateArn,
    });
  }
  if (config.uploadCreationRateLimit > config.apiRateLimit) {
    fail('uploadCreationRateLimit', `at most apiRateLimit (${config.apiRateLimit})`, config.uploadCreationRateLimit);
  }
  if (config.apiThrottleBurst < config.apiThrottleRatePerSecond) {
    fail(
      'apiThrottleBurst',
      `at least apiThrottleRatePerSecond (${config.apiThrottleRatePerSecond})`,
      config.apiThrottleBurst,
    );
  }
  if (config.uploadCreationThrottleBurst < config.uploadCreationThrottleRatePerSecond) {
    fail(
      'uploadCreationThrottleBurst',
      `at least uploadCreationThrottleRatePerSecond (${config.uploadCreationThrottleRatePerSecond})`,
      config.uploadCreationThrottleBurst,
    );
  }
  if (config.uploadCreationThrottleRatePerSecond > config.apiThrottleRatePerSecond) {
    fail(
      'uploadCreationThrottleRatePerSecond',
      `at most apiThrottleRatePerSecond (${config.apiThrottleRatePerSecond})`,
      config.uploadCreationThrottleRatePerSecond,
    );
  }
  if ((config.userPoolId === undefined) !== (config.userPoolClientId === undefined)) {
    fail('userPoolClientId', 'both userPoolId and userPoolClientId, or neither', {
      userPoolId: config.userPoolId,
      userPoolClientId: config.userPoolClientId,
    });
  }
  // The API's functions reach Cognito through an interface endpoint, which serves its own region only.
  if (config.userPoolId !== undefined && !config.userPoolId.startsWith(`${config.region}_`)) {
    fail('userPoolId', `a user pool in the platform region (${config.region}_…)`, config.userPoolId);
  }
  return config;
}

/** Reads the `vod` context of a construct tree (from `cdk.json` or `-c`) and resolves it. */
export function configFromContext(node: Node): PlatformConfig {
  return resolveConfig(node.tryGetContext(CONFIG_CONTEXT_KEY) ?? {});
}
