import type { Rendition, Video, VideoStatus, Visibility } from './schemas';
import type { SourceInfo } from './source-info';

/**
 * The catalog's record of a video: what the API shows (`Video`) plus what only the platform
 * needs (the upload's handle and where the outputs are).
 */
export interface VideoRecord {
  readonly id: string;
  readonly ownerId: string;
  readonly title: string;
  readonly description: string;
  readonly visibility: Visibility;
  readonly status: VideoStatus;
  readonly fileName: string;
  readonly contentType: string;
  readonly sizeBytes: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly upload: UploadHandle;
  readonly durationSeconds?: number;
  readonly renditions?: readonly Rendition[];
  /** Object keys in the media bucket, set when the video is READY. */
  readonly outputs?: VideoOutputs;
  readonly error?: { readonly code: string; readonly message: string };
  /** The transcoding job of this upload: claimed once, then its id once started. */
  readonly transcode?: TranscodeClaim;
}

/**
 * Who starts the transcoding job, written with a conditional update before the job is created:
 * a duplicate or redelivered upload event finds the claim and starts nothing.
 */
export interface TranscodeClaim {
  /** The upload this job transcodes. */
  readonly uploadId: string;
  /** The transcoder's idempotency token, the same for every attempt at this upload. */
  readonly clientToken: string;
  readonly claimedAt: string;
  /** What the probe found (or assumed), from which the plan and the outputs follow. */
  readonly source: SourceInfo;
  /** Set once the transcoder accepted the job. */
  readonly jobId?: string;
}

export interface UploadHandle {
  /** The source's object key, chosen by the server: `uploads/{id}/source`. */
  readonly key: string;
  readonly uploadId: string;
  readonly partSize: number;
  readonly partCount: number;
}

export interface VideoOutputs {
  readonly hls: string;
  readonly mp4: string;
  readonly thumbnail: string;
}

/** The state machine: a video moves only along these edges, each exactly once. */
export const TRANSITIONS: Readonly<Record<VideoStatus, readonly VideoStatus[]>> = {
  UPLOADING: ['PROCESSING', 'FAILED'],
  PROCESSING: ['READY', 'FAILED'],
  READY: [],
  FAILED: [],
};

export const canTransition = (from: VideoStatus, to: VideoStatus): boolean => TRANSITIONS[from].includes(to);

/** Who is calling: a verified user, or nobody (`undefined`) on the two anonymous reads. */
export interface Caller {
  readonly userId: string;
}

/** Public videos are visible to anyone; private ones to their owner only. */
export const isVisibleTo = (video: VideoRecord, caller: Caller | undefined): boolean =>
  video.visibility === 'public' || video.ownerId === caller?.userId;

export const isOwnedBy = (video: VideoRecord, caller: Caller | undefined): boolean => video.ownerId === caller?.userId;

/** The API's view of a record: internal handles stay inside. */
export function toVideo(record: VideoRecord): Video {
  return {
    id: record.id,
    ownerId: record.ownerId,
    title: record.title,
    description: record.description,
    visibility: record.visibility,
    status: record.status,
    contentType: record.contentType,
    sizeBytes: record.sizeBytes,
    ...(record.durationSeconds === undefined ? {} : { durationSeconds: record.durationSeconds }),
    ...(record.renditions === undefined ? {} : { renditions: [...record.renditions] }),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(record.error === undefined ? {} : { error: { ...record.error } }),
  };
}
