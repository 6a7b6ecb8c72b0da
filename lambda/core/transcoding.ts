import { createHash } from 'node:crypto';
import { ApiError } from './errors';
import { VIDEO_ID_PATTERN } from './playback-token';
import {
  type Catalog,
  type Clock,
  ConditionFailed,
  type Notifier,
  type ObjectStore,
  type RecordDeps,
  type SourceProbe,
  type Transcoder,
} from './ports';
import { outputsOf, planTranscode, renditionsOf } from './rendition-ladder';
import type { SourceInfo } from './source-info';
import { mediaPrefix, sourceKey } from './upload-plan';
import type { TranscodeClaim, VideoRecord } from './video';
import { transitionVideo } from './videos';
import { webhookEvent } from './webhook-event';

/**
 * The transcoding pipeline's use cases: a finished upload becomes exactly one job, and the job's
 * final state moves the video to READY or FAILED, once, whatever order or number of times the
 * events arrive. Nothing here knows SQS, EventBridge or MediaConvert.
 */

/** The message cannot be handled yet but will be later: leave it on the queue. */
export class RetryLater extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLater';
  }
}

/** What became of one message or event; `dropped` ones are logged and never retried. */
export type PipelineOutcome =
  | { readonly result: 'submitted'; readonly videoId: string; readonly jobId: string }
  | { readonly result: 'updated'; readonly videoId: string; readonly status: 'READY' | 'FAILED' }
  | { readonly result: 'repeated'; readonly videoId: string; readonly status: 'READY' | 'FAILED' }
  | { readonly result: 'dropped'; readonly videoId?: string; readonly reason: string };

const dropped = (reason: string, videoId?: string): PipelineOutcome => ({ result: 'dropped', reason, videoId });

/**
 * A claim without a job after this long belongs to a submitter that died; another may take it
 * over. Longer than a submit takes (seconds), shorter than the queue's redelivery delay.
 */
export const CLAIM_STALE_SECONDS = 300;

/** Assumed when the probe cannot read the source: the transcoder will then report what is wrong. */
export const UNPROBED_SOURCE: SourceInfo = { width: 1920, height: 1080, durationSeconds: 0, hasAudio: true };

/** The upload's video id, if `key` is an upload's source key (`uploads/{id}/source`). */
export function videoIdOfSourceKey(key: string): string | undefined {
  const match = /^uploads\/([^/]+)\/source$/.exec(key);
  const id = match?.[1];
  return id !== undefined && VIDEO_ID_PATTERN.test(id) && sourceKey(id) === key ? id : undefined;
}

/** The same for every attempt at one upload's job; MediaConvert accepts up to 64 characters. */
export const clientTokenFor = (videoId: string, uploadId: string): string =>
  createHash('sha256').update(`${videoId}\n${uploadId}`).digest('hex').slice(0, 64);

export interface SubmitDeps {
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly probe: SourceProbe;
  readonly transcoder: Transcoder;
  /** Told when the probe could not read a source, which then goes to the transcoder as is. */
  readonly onUnreadableSource?: (videoId: string) => void;
}

/**
 * Starts the job for a source that landed in the upload bucket, once. The claim, a conditional
 * write on the record keyed by the upload, makes duplicate and concurrent deliveries start nothing.
 */
export async function submitTranscode(deps: SubmitDeps, key: string): Promise<PipelineOutcome> {
  const videoId = videoIdOfSourceKey(key);
  if (!videoId) return dropped(`the key ${JSON.stringify(key.slice(0, 200))} is not an upload's source`);
  const record = await deps.catalog.get(videoId);
  if (!record) return dropped('no such video (deleted, or never created)', videoId);
  if (record.status === 'UPLOADING') throw new RetryLater('the upload is not marked complete yet');
  if (record.status !== 'PROCESSING') return dropped(`the video is already ${record.status}`, videoId);
  if (record.transcode?.jobId) return dropped(`duplicate: job ${record.transcode.jobId} already started`, videoId);

  const probed = await deps.probe.probe(key);
  if (!probed) deps.onUnreadableSource?.(videoId);
  const now = deps.clock.now();
  const claim: TranscodeClaim = {
    uploadId: record.upload.uploadId,
    clientToken: clientTokenFor(videoId, record.upload.uploadId),
    claimedAt: now.toISOString(),
    source: probed ?? UNPROBED_SOURCE,
  };
  const staleBefore = new Date(now.getTime() - CLAIM_STALE_SECONDS * 1000).toISOString();
  try {
    await deps.catalog.claimTranscode(videoId, claim, staleBefore);
  } catch (error) {
    if (!(error instanceof ConditionFailed)) throw error;
    const current = await deps.catalog.get(videoId);
    if (!current) return dropped('the video was deleted meanwhile', videoId);
    if (current.transcode?.jobId) return dropped(`duplicate: job ${current.transcode.jobId} already started`, videoId);
    if (current.status !== 'PROCESSING') return dropped(`the video is already ${current.status}`, videoId);
    throw new RetryLater('another delivery of this upload is starting its job');
  }

  const plan = planTranscode(videoId, claim.source);
  const { jobId } = await deps.transcoder.submit({
    videoId,
    uploadId: claim.uploadId,
    sourceKey: key,
    plan,
    clientToken: claim.clientToken,
  });
  try {
    await deps.catalog.recordTranscodeJob(videoId, { ...claim, jobId });
  } catch (error) {
    // Deleted, or taken over after we stalled: the job's events will find out which.
    if (!(error instanceof ConditionFailed)) throw error;
  }
  return { result: 'submitted', videoId, jobId };
}

/** A transcoding job reached a final state; from MediaConvert's event or the twin's transcoder. */
export interface JobStateChange {
  readonly jobId: string;
  readonly status: 'COMPLETE' | 'ERROR' | 'CANCELED';
  /** From the job's user metadata; absent on jobs this platform did not start. */
  readonly videoId?: string;
  readonly uploadId?: string;
  /** The longest output's duration. */
  readonly durationSeconds?: number;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

export interface CompletionDeps extends RecordDeps {
  /** The media bucket: outputs of a video deleted while it was processing are removed. */
  readonly media: Pick<ObjectStore, 'deleteByPrefix'>;
  readonly notifier: Notifier;
}

const MAX_REASON_LENGTH = 500;

/**
 * A reason a person can read: what failed, and the transcoder's own words without the bucket
 * names and keys it puts in them.
 */
export function failureReason(change: Pick<JobStateChange, 'status' | 'errorCode' | 'errorMessage'>): string {
  if (change.status === 'CANCELED') return 'The transcoding job was canceled.';
  const clean = (text: string) =>
    text
      .replace(/s3:\/\/\S*/g, 'the source file')
      .replace(/[\p{Cc}\p{Cs}]+/gu, ' ')
      .trim();
  const detail = clean(change.errorMessage ?? '');
  const errorCode = clean(change.errorCode ?? '').slice(0, 40);
  const code = errorCode ? ` (error ${errorCode})` : '';
  const text = detail
    ? `The source could not be transcoded${code}: ${detail}`
    : `The source could not be transcoded${code}; it may not be a video or may be damaged.`;
  return text.length > MAX_REASON_LENGTH
    ? `${text.slice(0, MAX_REASON_LENGTH - 1).replace(/[\uD800-\uDBFF]$/, '')}…`
    : text;
}

const finalStatusOf = (change: JobStateChange): 'READY' | 'FAILED' =>
  change.status === 'COMPLETE' ? 'READY' : 'FAILED';

async function announce(deps: CompletionDeps, record: VideoRecord): Promise<void> {
  const type = record.status === 'READY' ? 'video.ready' : 'video.failed';
  await deps.notifier.publish(webhookEvent(type, record, record.updatedAt));
}

/**
 * Moves the video of a finished job to READY (duration, renditions, outputs) or FAILED (a
 * readable reason), updates the cache and publishes the webhook. A repeated event publishes the
 * same webhook again (same id), in case the first attempt died before publishing; an event of
 * another job, or one contradicting the state reached, changes nothing.
 */
export async function completeTranscode(deps: CompletionDeps, change: JobStateChange): Promise<PipelineOutcome> {
  const { videoId } = change;
  if (!videoId || !VIDEO_ID_PATTERN.test(videoId)) return dropped(`job ${change.jobId} is not one of this platform's`);
  const record = await deps.catalog.get(videoId);
  if (!record) {
    if (change.status !== 'COMPLETE') return dropped('no such video', videoId);
    // Deleted while processing: the job wrote outputs after the delete removed the old ones.
    const removed = await deps.media.deleteByPrefix(mediaPrefix(videoId));
    return dropped(`no such video; removed ${removed} late output(s)`, videoId);
  }
  if (change.uploadId !== record.upload.uploadId) return dropped(`job ${change.jobId} is for another upload`, videoId);
  const currentJob = record.transcode?.jobId;
  if (currentJob && currentJob !== change.jobId)
    return dropped(`job ${change.jobId} is not the video's job (${currentJob})`, videoId);

  const target = finalStatusOf(change);
  if (record.status === 'PROCESSING') {
    try {
      const updated = await transitionVideo(deps, record, outcomeChange(record, change));
      await announce(deps, updated);
      return { result: 'updated', videoId, status: target };
    } catch (error) {
      // A repeat of this event won the race; it announces the change.
      if (!(error instanceof ApiError && error.code === 'INVALID_STATE')) throw error;
      return completeTranscode(deps, change);
    }
  }
  if (record.status === target) {
    await announce(deps, record);
    return { result: 'repeated', videoId, status: target };
  }
  return dropped(`the video is already ${record.status}; a ${change.status} event changes nothing`, videoId);
}

function outcomeChange(record: VideoRecord, change: JobStateChange) {
  if (change.status !== 'COMPLETE')
    return {
      status: 'FAILED' as const,
      error: { code: 'TRANSCODE_FAILED', message: failureReason(change) },
    };
  const source = record.transcode?.source ?? UNPROBED_SOURCE;
  const plan = planTranscode(record.id, source);
  const durationSeconds = Math.round((change.durationSeconds ?? source.durationSeconds) * 1000) / 1000;
  return {
    status: 'READY' as const,
    durationSeconds,
    renditions: renditionsOf(plan),
    outputs: outputsOf(plan, durationSeconds),
  };
}
