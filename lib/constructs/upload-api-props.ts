import { Duration } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
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
   * @default ['*']
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
   * @default 53687091200 (50 GiB)
   */
  readonly maxUploadBytes?: number;
  /**
   * Media types an upload may declare.
   * @default ['video/mp4']
   */
  readonly allowedContentTypes?: readonly string[];
  /**
   * How long a presigned upload-part URL stays valid.
   * @default Duration.hours(1)
   */
  readonly uploadUrlTtl?: Duration;
  /**
   * How long a playback token for a public video stays valid.
   * @default Duration.days(1)
   */
  readonly publicPlaybackTtl?: Duration;
  /**
   * How long a playback token for a private video stays valid.
   * @default Duration.hours(4)
   */
  readonly privatePlaybackTtl?: Duration;
  /**
   * How long video metadata stays in the cache.
   * @default Duration.minutes(5)
   */
  readonly cacheTtl?: Duration;
  /**
   * The stage's throttle, all callers together.
   * @default { ratePerSecond: 1000, burst: 2000 }
   */
  readonly throttle?: ThrottleLimits;
  /**
   * The tighter throttle of upload creation (`POST /videos`), all callers together.
   * @default { ratePerSecond: 10, burst: 20 }
   */
  readonly uploadCreationThrottle?: ThrottleLimits;
  /**
   * How long the functions' logs and the access logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
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
export interface ResolvedUploadApiProps {
  readonly allowedOrigins: readonly string[];
  readonly throttle: ThrottleLimits;
  readonly uploadCreationThrottle: ThrottleLimits;
  readonly maxUploadBytes: number;
  readonly allowedContentTypes: readonly string[];
  readonly uploadUrlTtlSeconds: number;
  readonly publicPlaybackTtlSeconds: number;
  readonly privatePlaybackTtlSeconds: number;
  readonly cacheTtlSeconds: number;
  readonly stageName: string;
  readonly logRetention: logs.RetentionDays;
  readonly memorySize: number;
  readonly timeout: Duration;
}

function checkThrottle(name: string, limits: ThrottleLimits): ThrottleLimits {
  const { ratePerSecond, burst } = limits;
  if (![ratePerSecond, burst].every((value) => Number.isInteger(value) && value > 0) || burst < ratePerSecond) {
    throw new Error(
      `UploadApi: ${name} must be positive integers with burst at least the rate, received ${JSON.stringify(limits)}`,
    );
  }
  return limits;
}

function checkTtl(name: string, ttl: Duration, min: number, max: number): number {
  const seconds = ttl.toSeconds();
  if (seconds < min || seconds > max) {
    throw new Error(`UploadApi: ${name} must be from ${min} s to ${max} s, received ${seconds} s`);
  }
  return seconds;
}

/** Applies the defaults and refuses what cannot deploy, saying what was received. */
export function resolveUploadApiProps(props: UploadApiProps): ResolvedUploadApiProps {
  const allowedOrigins = props.allowedOrigins ?? ['*'];
  if (allowedOrigins.length === 0) {
    throw new Error('UploadApi: allowedOrigins must name at least one origin (or "*"), received []');
  }
  if ((props.userPool === undefined) !== (props.userPoolClient === undefined)) {
    throw new Error('UploadApi: userPool and userPoolClient go together; received only one of them');
  }
  const throttle = checkThrottle('throttle', props.throttle ?? { ratePerSecond: 1000, burst: 2000 });
  const uploadCreationThrottle = checkThrottle(
    'uploadCreationThrottle',
    props.uploadCreationThrottle ?? { ratePerSecond: 10, burst: 20 },
  );
  const maxUploadBytes = props.maxUploadBytes ?? 53_687_091_200;
  if (!Number.isInteger(maxUploadBytes) || maxUploadBytes < 1) {
    throw new Error(`UploadApi: maxUploadBytes must be a positive integer, received ${maxUploadBytes}`);
  }
  const allowedContentTypes = props.allowedContentTypes ?? ['video/mp4'];
  if (allowedContentTypes.length === 0) {
    throw new Error('UploadApi: allowedContentTypes must name at least one media type, received []');
  }
  return {
    allowedOrigins,
    throttle,
    uploadCreationThrottle,
    maxUploadBytes,
    allowedContentTypes,
    uploadUrlTtlSeconds: checkTtl('uploadUrlTtl', props.uploadUrlTtl ?? Duration.hours(1), 60, 604_800),
    publicPlaybackTtlSeconds: checkTtl('publicPlaybackTtl', props.publicPlaybackTtl ?? Duration.days(1), 60, 604_800),
    privatePlaybackTtlSeconds: checkTtl(
      'privatePlaybackTtl',
      props.privatePlaybackTtl ?? Duration.hours(4),
      60,
      604_800,
    ),
    cacheTtlSeconds: checkTtl('cacheTtl', props.cacheTtl ?? Duration.minutes(5), 1, 86_400),
    stageName: props.stageName ?? 'v1',
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    memorySize: props.memorySize ?? 512,
    timeout: props.timeout ?? Duration.seconds(15),
  };
}
