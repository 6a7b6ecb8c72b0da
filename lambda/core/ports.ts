import type { SigningKey } from './playback-token';
import type { TranscodePlan } from './rendition-ladder';
import type { Visibility } from './schemas';
import type { SourceInfo } from './source-info';
import type { TranscodeClaim, VideoOutputs, VideoRecord } from './video';
import type { WebhookEvent } from './webhook-event';

/**
 * What the core needs from the world. Adapters implement these over DynamoDB, S3, Valkey and
 * Secrets Manager (in AWS and, by endpoint, against local servers); the core never sees an AWS type.
 */

/** A conditional write lost: the record was not in the state the write expected. */
export class ConditionFailed extends Error {
  constructor(message = 'The record changed under the write') {
    super(message);
    this.name = 'ConditionFailed';
  }
}

/**
 * A write that certainly did not reach the store (the connection was refused, or the store
 * refused it for throttling): unlike a timeout, nothing may have been written. `cause` is the
 * store's own error.
 */
export class WriteNotApplied extends Error {
  constructor(readonly cause: unknown) {
    super(`The write was not applied: ${String((cause as Error)?.message ?? cause)}`);
    this.name = 'WriteNotApplied';
  }
}

export interface PageCursor {
  readonly id: string;
  readonly createdAt: string;
}

export interface StatusChange {
  readonly status: VideoRecord['status'];
  readonly updatedAt: string;
  readonly durationSeconds?: number;
  readonly renditions?: VideoRecord['renditions'];
  readonly outputs?: VideoOutputs;
  readonly error?: VideoRecord['error'];
}

export interface DetailsChange {
  readonly title?: string;
  readonly description?: string;
  readonly visibility?: Visibility;
  readonly updatedAt: string;
}

/** The system of record. Every write is conditional; a lost condition throws `ConditionFailed`. */
export interface Catalog {
  /** A strongly consistent read. */
  get(id: string): Promise<VideoRecord | undefined>;
  /** Creates a record whose id is new. */
  create(record: VideoRecord): Promise<void>;
  /** Moves a video from `from` to `change.status`, only if it is still in `from`. */
  transition(id: string, from: VideoRecord['status'], change: StatusChange): Promise<VideoRecord>;
  /**
   * Claims the start of a PROCESSING video's transcoding job: only if there is no claim yet, or
   * the one there never got a job and was made before `staleBefore` (its maker died).
   */
  claimTranscode(id: string, claim: TranscodeClaim, staleBefore: string): Promise<VideoRecord>;
  /** Records the job started under the claim made at `claim.claimedAt`. */
  recordTranscodeJob(id: string, claim: TranscodeClaim & { readonly jobId: string }): Promise<VideoRecord>;
  /** Changes the details of a video owned by `ownerId`. */
  updateDetails(id: string, ownerId: string, change: DetailsChange): Promise<VideoRecord>;
  /** Deletes a video owned by `ownerId`; deleting one already gone is not an error. */
  delete(id: string, ownerId: string): Promise<void>;
  /** An owner's videos, newest first. */
  listByOwner(ownerId: string, limit: number, after?: PageCursor): Promise<{ items: VideoRecord[]; next?: PageCursor }>;
}

/**
 * A key-value cache with expiry. Every call may throw or time out: the core treats a failing
 * cache as a miss and carries on from the catalog.
 */
export interface Cache {
  get(key: string): Promise<string | undefined>;
  /** Stores the value, replacing any. */
  put(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Stores the value only if the key is absent (a reader's fill never overwrites a writer's). */
  fill(key: string, value: string, ttlSeconds: number): Promise<void>;
}

export interface UploadedPart {
  readonly partNumber: number;
  readonly etag: string;
  readonly sizeBytes: number;
}

/** An object store (one bucket). Keys are always chosen by the core, never taken from input. */
export interface ObjectStore {
  createMultipartUpload(key: string, contentType: string): Promise<string>;
  presignUploadPart(key: string, uploadId: string, partNumber: number, expiresInSeconds: number): Promise<string>;
  /** The parts uploaded so far, or `undefined` if the upload no longer exists. */
  listParts(key: string, uploadId: string): Promise<UploadedPart[] | undefined>;
  /** `false` if the upload no longer exists (completed or aborted already). */
  completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
  ): Promise<boolean>;
  /** Aborting an upload that is already gone is not an error. */
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;
  headObject(key: string): Promise<{ sizeBytes: number } | undefined>;
  /** Bytes `start` to `end` inclusive (fewer at the end of the object). */
  readRange(key: string, start: number, end: number): Promise<Uint8Array>;
  /** Deletes every object under the prefix; returns how many. */
  deleteByPrefix(prefix: string): Promise<number>;
}

/** Reads a source file's dimensions and tracks from its container, without decoding it. */
export interface SourceProbe {
  /** `undefined` when the object is not a container the probe can read. */
  probe(key: string): Promise<SourceInfo | undefined>;
}

/** One transcoding job to start: the source in the upload bucket, the outputs in the media bucket. */
export interface TranscodeRequest {
  readonly videoId: string;
  readonly uploadId: string;
  /** The source's key in the upload bucket. */
  readonly sourceKey: string;
  readonly plan: TranscodePlan;
  /**
   * The same for every attempt at this upload's job: a transcoder that deduplicates requests
   * (MediaConvert's `ClientRequestToken`) answers a repeat with the first job.
   */
  readonly clientToken: string;
}

/** Starts transcoding jobs: MediaConvert in AWS, ffmpeg in the local twin. */
export interface Transcoder {
  submit(request: TranscodeRequest): Promise<{ readonly jobId: string }>;
}

/** Hands webhook events to the delivery queue; delivery and retries happen elsewhere. */
export interface Notifier {
  publish(event: WebhookEvent): Promise<void>;
}

/** The current playback signing key (the one in the CDN's key store). */
export interface SigningKeySource {
  currentKey(): Promise<SigningKey>;
}

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  newVideoId(): string;
}

/** Whether a read was served by the cache, by the catalog after a miss, or despite a cache error. */
export type CacheOutcome = 'hit' | 'miss' | 'error';

/** Limits and URLs that come from configuration. */
export interface ApiPolicy {
  readonly maxUploadBytes: number;
  readonly allowedContentTypes: readonly string[];
  readonly uploadUrlTtlSeconds: number;
  readonly publicPlaybackTtlSeconds: number;
  readonly privatePlaybackTtlSeconds: number;
  readonly cacheTtlSeconds: number;
  /** The CDN's origin, e.g. `https://d111111abcdef8.cloudfront.net`, without a trailing slash. */
  readonly cdnBaseUrl: string;
}

/** What writing a video record and keeping its cache entry current needs. */
export type RecordDeps = Pick<
  CoreDeps,
  'catalog' | 'cache' | 'clock' | 'random' | 'onCacheOutcome' | 'onCacheWriteFailure'
> & { readonly policy: Pick<ApiPolicy, 'cacheTtlSeconds'> };

export interface CoreDeps {
  readonly catalog: Catalog;
  readonly cache: Cache;
  readonly uploads: ObjectStore;
  readonly media: ObjectStore;
  readonly signingKeys: SigningKeySource;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly policy: ApiPolicy;
  /** Where `video.deleted` webhooks go; none when no webhook receiver is configured. */
  readonly notifier?: Notifier;
  /** Told of every cached read's outcome, for metrics. */
  readonly onCacheOutcome?: (outcome: CacheOutcome) => void;
  /** Told when the cache failed on a write, so the stale entry lives until its TTL. */
  readonly onCacheWriteFailure?: (error: unknown) => void;
  /** Jitter source in [0, 1). */
  readonly random?: () => number;
}
