import * as z from 'zod';
import { S3_MAX_OBJECT_BYTES } from '../../lambda/core/upload-plan';
import { CROSS_FIELD_RULES } from './rules';
import { integer, integerRange, list, oneOf, text } from './values';

/**
 * Everything a platform team can tune without touching code, written once: each setting's type,
 * range, default and description. The `PlatformConfig` type, the defaults, the list of optional
 * settings, the error messages and the docs table (docs/configuration.md) all come from here.
 */

/** The context key under which `cdk.json` overrides the defaults. */
export const CONFIG_CONTEXT_KEY = 'vod';

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
export const MAX_OBJECT_BYTES = S3_MAX_OBJECT_BYTES;

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

/** What the docs say of a setting. */
export interface SettingDoc {
  /** What the setting does. */
  readonly description: string;
  /** Why its range is what it is, where that is not obvious. */
  readonly why?: string;
  /** What happens when an optional setting is left unset. */
  readonly unset?: string;
  /** The default in words, after the value, such as "one year". */
  readonly defaultNote?: string;
}

export const SETTING_DOCS = z.registry<SettingDoc>();

function setting<T extends z.ZodType>(schema: T, doc: SettingDoc): T {
  SETTING_DOCS.add(schema, doc);
  return schema;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const WAF_RATE_LIMIT = 'WAF accepts rate limits from 10 to 2,000,000,000 requests per window.';
const TOKEN_TTL = 'The CDN refuses tokens that claim to stay valid more than 7 days ahead.';
const THROTTLE = "API Gateway's account-level default is 10,000 requests per second; quotas can be raised.";
const MAX_THROTTLE = 1_000_000;
const wafRateLimit = () => integer(10, 2_000_000_000);
const throttle = () => integer(1, MAX_THROTTLE);
// An https URL without spaces, credentials or fragment.
const httpsUrl = () =>
  text(/^https:\/\/[a-z0-9.-]+(:\d{1,5})?(\/[^\s#@]*)?$/i, 'an https:// URL without credentials or fragment');

export const SETTING_FIELDS = {
  stackPrefix: setting(
    text(/^[A-Za-z][A-Za-z0-9-]{0,39}$/, 'a letter then up to 39 letters, digits or dashes').default('Vod'),
    { description: 'Prefix of the stack names (`VodEdge`, `VodPlatform`).' },
  ),
  region: setting(text(REGION, 'an AWS region name such as eu-west-1').default('eu-west-1'), {
    description:
      'Region of the platform stack (buckets, API, pipeline). The edge stack always lives in us-east-1, where AWS requires CLOUDFRONT-scope web ACLs.',
  }),
  account: setting(text(/^\d{12}$/, 'a 12-digit AWS account id').optional(), {
    description:
      'Account to deploy to. Leave unset for an environment-agnostic synth; `cdk deploy` uses the account of the current credentials.',
    unset: "the CLI's current account",
  }),
  priceClass: setting(oneOf(PRICE_CLASSES).default('PriceClass_100'), {
    description: 'CloudFront price class: which edge locations serve viewers.',
    defaultNote: 'North America and Europe: the cheapest',
  }),
  allowedOrigins: setting(
    list(
      /^(\*|https:\/\/[a-z0-9.-]+(:\d{1,5})?|http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?)$/,
      '"*", https origins, or http://localhost origins',
    ).default(['*']),
    {
      description:
        'Origins allowed to call the CDN and to PUT upload parts from a browser. `*` allows any origin: safe here because neither the CDN nor the presigned URLs use cookies, and every request carries its own short-lived credential (a path token or a presigned signature).',
    },
  ),
  logRetentionDays: setting(oneOf(LOG_RETENTION_DAYS).default(365), {
    description: 'How long CloudWatch keeps logs (WAF logs, API access logs, Lambda logs), in days.',
    why: 'CloudWatch Logs accepts only these retention periods.',
  }),
  accessLogExpirationDays: setting(integer(1, 3653).default(365), {
    description: 'How long access logs in the log bucket are kept, in days.',
  }),
  abortIncompleteUploadAfterDays: setting(integer(1, 365).default(7), {
    description: 'Days after which S3 aborts an unfinished multipart upload and frees its parts.',
  }),
  manifestTtlSeconds: setting(integer(1, 3600).default(10), {
    description: 'How long CloudFront caches HLS manifests, in seconds.',
    why: 'CloudFront only compresses from the cache, so a cached TTL of at least 1 s is needed.',
  }),
  mediaTtlSeconds: setting(integer(60, 31_536_000).default(31_536_000), {
    description:
      'How long CloudFront caches segments, MP4 files and thumbnails, in seconds. They never change under a key, so this can be long.',
    defaultNote: 'one year',
  }),
  rateWindowSeconds: setting(oneOf(RATE_WINDOWS_SECONDS).default(300), {
    description: 'The WAF window over which the rate limits below are counted, in seconds.',
    why: 'WAF rate-based rules count over one of these windows only.',
  }),
  cdnRateLimit: setting(wafRateLimit().default(3000), {
    description:
      'Requests one IP may make to the CDN per window. A viewer fetches one segment every 4–6 s, so the default leaves room for many viewers behind one carrier-grade NAT.',
    why: WAF_RATE_LIMIT,
  }),
  apiRateLimit: setting(wafRateLimit().default(1000), {
    description: 'Requests one IP may make to the API per window.',
    why: WAF_RATE_LIMIT,
  }),
  uploadCreationRateLimit: setting(wafRateLimit().default(30), {
    description: '`POST /videos` (upload creation) calls one IP may make per window.',
    why: WAF_RATE_LIMIT,
  }),
  originShieldRegion: setting(text(REGION, 'an AWS region name').optional(), {
    description: 'Region of the CloudFront Origin Shield in front of the media bucket.',
    unset: 'no Origin Shield',
  }),
  domainNames: setting(
    list(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'lower-case DNS names').optional(),
    {
      description: 'Custom domain names for the CDN. Requires `certificateArn`.',
      unset: "the distribution's own cloudfront.net name",
    },
  ),
  certificateArn: setting(
    text(
      /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/,
      'an ACM certificate ARN in us-east-1',
    ).optional(),
    { description: 'ARN of an ACM certificate in us-east-1 that covers `domainNames`.', unset: 'none' },
  ),
  maxUploadBytes: setting(integer(1, MAX_OBJECT_BYTES).default(53_687_091_200), {
    description: 'Largest source file a user may upload, in bytes.',
    why: "S3's largest object is 5 TiB.",
    defaultNote: '50 GiB',
  }),
  allowedContentTypes: setting(
    list(/^video\/[a-z0-9.+-]+$/, 'video media types such as video/mp4').default([...DEFAULT_CONTENT_TYPES]),
    {
      description:
        'Media types a source file may declare (`video/…`); anything else is refused with 415. The default: MP4, QuickTime, Matroska, WebM, AVI, MPEG, MPEG-TS and M4V.',
    },
  ),
  uploadUrlTtlSeconds: setting(integer(60, 21_600).default(3600), {
    description: 'How long a presigned upload-part URL stays valid, in seconds.',
    why: 'S3 presigned URLs may live up to 7 days, but a long-lived upload URL is a bearer credential.',
  }),
  publicPlaybackTtlSeconds: setting(integer(60, 604_800).default(86_400), {
    description: 'How long a playback token for a public video stays valid, in seconds.',
    why: TOKEN_TTL,
    defaultNote: 'one day',
  }),
  privatePlaybackTtlSeconds: setting(integer(60, 604_800).default(14_400), {
    description: 'How long a playback token for a private video (owner only) stays valid, in seconds.',
    why: TOKEN_TTL,
    defaultNote: 'four hours',
  }),
  metadataCacheTtlSeconds: setting(integer(1, 86_400).default(300), {
    description: 'How long video metadata stays in the cache, in seconds (every write invalidates it anyway).',
  }),
  apiThrottleRatePerSecond: setting(throttle().default(1000), {
    description: 'Steady request rate the API stage accepts, per second, across all callers.',
    why: THROTTLE,
  }),
  apiThrottleBurst: setting(throttle().default(2000), {
    description: 'Requests the API stage accepts in a burst above the steady rate.',
    why: THROTTLE,
  }),
  uploadCreationThrottleRatePerSecond: setting(throttle().default(10), {
    description: 'Steady rate of `POST /videos` (upload creation), per second, across all callers.',
    why: THROTTLE,
  }),
  uploadCreationThrottleBurst: setting(throttle().default(20), {
    description: '`POST /videos` calls accepted in a burst above the steady rate.',
    why: THROTTLE,
  }),
  cacheMaxDataStorageGb: setting(integer(1, 5000).default(1), {
    description: 'Most data the metadata cache may hold, in GB; a hard cap on its storage cost.',
    why: 'ElastiCache Serverless accepts 1 to 5000 GB.',
  }),
  cacheMaxEcpuPerSecond: setting(integer(1000, 15_000_000).default(5000), {
    description:
      'Most ElastiCache Processing Units the metadata cache may use per second; a hard cap on its compute cost. Beyond it the cache throttles and the API reads from DynamoDB.',
    why: 'ElastiCache Serverless accepts 1000 to 15,000,000 ECPU per second.',
  }),
  userPoolId: setting(
    text(/^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/, 'a Cognito user pool id such as eu-west-1_AbC123').optional(),
    {
      description:
        'An existing Cognito user pool (in the platform region) to authenticate API callers; needs `userPoolClientId`.',
      unset: 'the API creates its own user pool',
    },
  ),
  userPoolClientId: setting(text(/^[0-9A-Za-z]{1,128}$/, 'a Cognito app client id (letters and digits)').optional(), {
    description: 'The app client of `userPoolId` whose ID tokens the API accepts.',
    unset: 'the API creates its own app client',
  }),
  webhookUrl: setting(httpsUrl().optional(), {
    description:
      'The HTTPS endpoint that receives signed `video.ready`, `video.failed` and `video.deleted` events (see docs/webhooks.md).',
    unset: 'no webhooks',
  }),
  runbookUrl: setting(httpsUrl().optional(), {
    description:
      'Where operators read the runbook (docs/runbook.md, published). Alarm descriptions link to its sections (`<runbookUrl>#<section>`) when set.',
    unset: "alarm descriptions carry the section's steps alone",
  }),
};

export type SettingName = keyof typeof SETTING_FIELDS;
export const SETTING_NAMES = Object.keys(SETTING_FIELDS) as SettingName[];

/** The settings as the fields alone parse them, before the rules between settings. */
export type Settings = z.output<z.ZodObject<typeof SETTING_FIELDS>>;

export const SETTINGS_SCHEMA = z
  .strictObject(SETTING_FIELDS, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `one of the known settings (${SETTING_NAMES.join(', ')})` : 'an object',
  })
  .check((payload) => {
    // The rules compare valid values only; a field's own issue is the one to report.
    if (payload.issues.length > 0) return;
    for (const rule of CROSS_FIELD_RULES) {
      const broken = rule.check(payload.value);
      if (broken)
        payload.issues.push({ code: 'custom', path: [rule.field], message: broken.expected, input: broken.received });
    }
  });

type ReadonlyValue<V> = V extends readonly (infer T)[] ? readonly T[] : V;

/**
 * Everything a platform team can tune without touching code. Every setting has a default or is
 * optional; override any of them in `cdk.json` under the `vod` context key, or on the command
 * line (`cdk synth -c vod='{"region":"eu-central-1"}'`). See docs/configuration.md.
 */
export type PlatformConfig = { readonly [K in keyof Settings]: ReadonlyValue<Settings[K]> };

/** Settings without a default; unset means "not used" or "created by the stack". */
export type OptionalSetting = {
  [K in SettingName]: (typeof SETTING_FIELDS)[K] extends z.ZodOptional ? K : never;
}[SettingName];

export const OPTIONAL_SETTINGS: readonly OptionalSetting[] = SETTING_NAMES.filter(
  (name): name is OptionalSetting => SETTING_FIELDS[name] instanceof z.ZodOptional,
);

/** The smallest and largest value of an integer setting: constructs check their props against it. */
export function settingRange(name: SettingName): { readonly min: number; readonly max: number } {
  return integerRange(SETTING_FIELDS[name]);
}
