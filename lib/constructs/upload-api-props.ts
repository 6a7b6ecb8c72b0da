import { Duration } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { ApiPolicy } from '../../lambda/core/ports';
import { DEFAULT_CONFIG, type SettingName, settingRange } from '../config';
import type { Delivery } from './delivery';
import type { MediaStorage } from './media-storage';
import type { MetadataCache } from './metadata-cache';
import type { VideoCatalog } from './video-catalog';
import type { Webhooks } from './webhooks';

/** A steady rate and a burst, in requests per second. */
export interface ThrottleLimits {
  readonly ratePerSecond: number;
  readonly burst: number;
}

export interface UploadApiProps {
  /** The catalog the handlers read and write. */
  readonly catalog: VideoCatalog;
  /** The buckets uploads go to and outputs are deleted from. */
  readonly storage: MediaStorage;
  /** The metadata cache; the handlers run in its VPC. */
  readonly cache: MetadataCache;
  /** Holds the current playback signing key (the playback route reads it). */
  readonly signingKeys: Pick<Delivery, 'signingKeySecret' | 'grantReadCurrentSigningKey'>;
  /**
   * Where `video.deleted` goes.
   * @default - no webhooks
   */
  readonly webhooks?: Pick<Webhooks, 'queue' | 'grantPublish'>;
  /** Base URL of the CDN that playback URLs point to, such as `https://d111.cloudfront.net`. */
  readonly cdnBaseUrl: string;
  /**
   * ARN of a REGIONAL WAF web ACL to associate with the stage.
   * @default - no web ACL
   */
  readonly webAclArn?: string;
  /**
   * Origins that may call the API from a browser (CORS).
   * @default - the `vod` setting's default, `allowedOrigins` (see docs/configuration.md)
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * An existing user pool whose ID tokens the API accepts; needs `userPoolClient`.
   * @default - a new user pool
   */
  readonly userPool?: cognito.IUserPool;
  /**
   * The app client of `userPool` whose ID tokens the API accepts (their audience).
   * @default - a new app client without secret, for SRP sign-in
   */
  readonly userPoolClient?: cognito.IUserPoolClient;
  /**
   * Whether anyone may sign up to the user pool the API creates.
   * @default false (administrators create users)
   */
  readonly selfSignUp?: boolean;
  /**
   * Largest source file, in bytes.
   * @default - the `vod` setting's default, `maxUploadBytes` (see docs/configuration.md)
   */
  readonly maxUploadBytes?: number;
  /**
   * Media types an upload may declare.
   * @default - the `vod` setting's default, `allowedContentTypes` (see docs/configuration.md)
   */
  readonly allowedContentTypes?: readonly string[];
  /**
   * How long a presigned upload-part URL stays valid.
   * @default - the `vod` setting's default, `uploadUrlTtlSeconds` (see docs/configuration.md)
   */
  readonly uploadUrlTtl?: Duration;
  /**
   * How long a playback token for a public video stays valid.
   * @default - the `vod` setting's default, `publicPlaybackTtlSeconds` (see docs/configuration.md)
   */
  readonly publicPlaybackTtl?: Duration;
  /**
   * How long a playback token for a private video stays valid.
   * @default - the `vod` setting's default, `privatePlaybackTtlSeconds` (see docs/configuration.md)
   */
  readonly privatePlaybackTtl?: Duration;
  /**
   * How long video metadata stays in the cache.
   * @default - the `vod` setting's default, `metadataCacheTtlSeconds` (see docs/configuration.md)
   */
  readonly cacheTtl?: Duration;
  /**
   * The stage's throttle, all callers together.
   * @default - the `vod` settings' defaults, `apiThrottleRatePerSecond` and `apiThrottleBurst` (see docs/configuration.md)
   */
  readonly throttle?: ThrottleLimits;
  /**
   * The tighter throttle of upload creation (`POST /videos`), all callers together.
   * @default - the `vod` settings' defaults, `uploadCreationThrottleRatePerSecond` and `uploadCreationThrottleBurst` (see docs/configuration.md)
   */
  readonly uploadCreationThrottle?: ThrottleLimits;
  /**
   * How long the functions' logs and the access logs are kept.
   * @default - the `vod` setting's default, `logRetentionDays` (see docs/configuration.md)
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Memory of each handler, in MB (CPU grows with it).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Longest a handler may run; API Gateway gives up after 29 s.
   * @default Duration.seconds(15)
   */
  readonly timeout?: Duration;
  /**
   * Name of the stage, the first segment of every path.
   * @default 'v1'
   */
  readonly stageName?: string;
}

/** The props with their defaults, checked: what the API is built from. */
export interface ResolvedUploadApiProps extends Omit<ApiPolicy, 'cdnBaseUrl'> {
  readonly allowedOrigins: readonly string[];
  readonly throttle: ThrottleLimits;
  readonly uploadCreationThrottle: ThrottleLimits;
  readonly stageName: string;
  readonly logRetention: logs.RetentionDays;
  readonly memorySize: number;
  readonly timeout: Duration;
}

/** `value` if it is an integer in the setting's range; `what` names it in the error. */
function checkInteger(what: string, value: number, setting: SettingName): number {
  const { min, max } = settingRange(setting);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`UploadApi: ${what} must be an integer from ${min} to ${max}, received ${value}`);
  }
  return value;
}

function checkThrottle(
  name: string,
  limits: ThrottleLimits,
  settings: readonly [SettingName, SettingName],
): ThrottleLimits {
  const { ratePerSecond, burst } = limits;
  checkInteger(`${name}.ratePerSecond`, ratePerSecond, settings[0]);
  checkInteger(`${name}.burst`, burst, settings[1]);
  if (burst < ratePerSecond) {
    throw new Error(
      `UploadApi: ${name} must be positive integers with burst at least the rate, received ${JSON.stringify(limits)}`,
    );
  }
  return limits;
}

type TtlSetting =
  | 'uploadUrlTtlSeconds'
  | 'publicPlaybackTtlSeconds'
  | 'privatePlaybackTtlSeconds'
  | 'metadataCacheTtlSeconds';

/** The TTL in seconds, `given` or the setting's default, if it is in the setting's range. */
function checkTtl(name: string, given: Duration | undefined, setting: TtlSetting): number {
  const { min, max } = settingRange(setting);
  const seconds = given?.toSeconds() ?? DEFAULT_CONFIG[setting];
  if (seconds < min || seconds > max) {
    throw new Error(`UploadApi: ${name} must be from ${min} s to ${max} s, received ${seconds} s`);
  }
  return seconds;
}

/**
 * Applies the defaults and refuses what cannot deploy, saying what was received. The defaults and
 * the ranges are the `vod` settings' (lib/settings/schema.ts), which the platform stack passes.
 */
export function resolveUploadApiProps(props: UploadApiProps): ResolvedUploadApiProps {
  const defaults = DEFAULT_CONFIG;
  const allowedOrigins = props.allowedOrigins ?? defaults.allowedOrigins;
  if (allowedOrigins.length === 0) {
    throw new Error('UploadApi: allowedOrigins must name at least one origin (or "*"), received []');
  }
  if ((props.userPool === undefined) !== (props.userPoolClient === undefined)) {
    throw new Error('UploadApi: userPool and userPoolClient go together; received only one of them');
  }
  const throttle = checkThrottle(
    'throttle',
    props.throttle ?? { ratePerSecond: defaults.apiThrottleRatePerSecond, burst: defaults.apiThrottleBurst },
    ['apiThrottleRatePerSecond', 'apiThrottleBurst'],
  );
  const uploadCreationThrottle = checkThrottle(
    'uploadCreationThrottle',
    props.uploadCreationThrottle ?? {
      ratePerSecond: defaults.uploadCreationThrottleRatePerSecond,
      burst: defaults.uploadCreationThrottleBurst,
    },
    ['uploadCreationThrottleRatePerSecond', 'uploadCreationThrottleBurst'],
  );
  const maxUploadBytes = checkInteger(
    'maxUploadBytes',
    props.maxUploadBytes ?? defaults.maxUploadBytes,
    'maxUploadBytes',
  );
  const allowedContentTypes = props.allowedContentTypes ?? defaults.allowedContentTypes;
  if (allowedContentTypes.length === 0) {
    throw new Error('UploadApi: allowedContentTypes must name at least one media type, received []');
  }
  return {
    allowedOrigins,
    throttle,
    uploadCreationThrottle,
    maxUploadBytes,
    allowedContentTypes,
    uploadUrlTtlSeconds: checkTtl('uploadUrlTtl', props.uploadUrlTtl, 'uploadUrlTtlSeconds'),
    publicPlaybackTtlSeconds: checkTtl('publicPlaybackTtl', props.publicPlaybackTtl, 'publicPlaybackTtlSeconds'),
    privatePlaybackTtlSeconds: checkTtl('privatePlaybackTtl', props.privatePlaybackTtl, 'privatePlaybackTtlSeconds'),
    cacheTtlSeconds: checkTtl('cacheTtl', props.cacheTtl, 'metadataCacheTtlSeconds'),
    stageName: props.stageName ?? 'v1',
    logRetention: props.logRetention ?? (defaults.logRetentionDays as logs.RetentionDays),
    memorySize: props.memorySize ?? 512,
    timeout: props.timeout ?? Duration.seconds(15),
  };
}
