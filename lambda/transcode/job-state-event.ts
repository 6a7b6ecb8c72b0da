import * as z from 'zod';
import type { JobStateChange } from '../core/transcoding';

/**
 * MediaConvert's "MediaConvert Job State Change" event, as EventBridge delivers it (and as the
 * local twin's transcoder emits it, built by ./job-state-event-builder.ts): its shape, and its
 * parser. Only final states matter; the rule lets only them through.
 */

export const FINAL_JOB_STATES = ['COMPLETE', 'ERROR', 'CANCELED'] as const;

/** Every status the event may carry; only the final ones end a job. */
export const JOB_STATUSES = [
  'SUBMITTED',
  'PROGRESSING',
  'STATUS_UPDATE',
  'INPUT_INFORMATION',
  'NEW_WARNING',
  'QUEUE_HOP',
  ...FINAL_JOB_STATES,
] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];

export interface MediaConvertOutputDetail {
  readonly outputFilePaths: readonly string[];
  /** Absent on frame captures, as MediaConvert reports them. */
  readonly durationInMs?: number;
  readonly videoDetails: {
    readonly widthInPx: number;
    readonly heightInPx: number;
    readonly averageBitrate?: number;
  };
}

export interface MediaConvertOutputGroupDetail {
  readonly type: 'HLS_GROUP' | 'FILE_GROUP';
  /** The master playlist, on the HLS group. */
  readonly playlistFilePaths?: readonly string[];
  readonly outputDetails: readonly MediaConvertOutputDetail[];
}

export interface MediaConvertJobDetail {
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly accountId: string;
  /** The queue's ARN. */
  readonly queue: string;
  readonly jobId: string;
  readonly status: JobStatus;
  /** What the job was created with; this pipeline's jobs carry `videoId` and `uploadId`. */
  readonly userMetadata?: Readonly<Record<string, string>>;
  /** On COMPLETE: what the job wrote. */
  readonly outputGroupDetails?: readonly MediaConvertOutputGroupDetail[];
  /** On ERROR. */
  readonly errorCode?: number;
  readonly errorMessage?: string;
}

/** A "MediaConvert Job State Change" event as EventBridge delivers it. */
export interface MediaConvertJobStateEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'MediaConvert Job State Change';
  readonly source: 'aws.mediaconvert';
  readonly account: string;
  /** ISO 8601, whole seconds. */
  readonly time: string;
  readonly region: string;
  /** The job's ARN. */
  readonly resources: readonly string[];
  readonly detail: MediaConvertJobDetail;
}

const OutputDetailSchema = z.object({ durationInMs: z.number().nonnegative().optional() }).loose();

const JobStateEventSchema = z.object({
  source: z.string(),
  'detail-type': z.literal('MediaConvert Job State Change'),
  detail: z
    .object({
      status: z.string(),
      jobId: z.string().min(1).max(200),
      userMetadata: z.record(z.string(), z.string()).optional(),
      errorCode: z.union([z.number(), z.string()]).optional(),
      errorMessage: z.string().optional(),
      outputGroupDetails: z
        .array(z.object({ outputDetails: z.array(OutputDetailSchema).optional() }).loose())
        .optional(),
    })
    .loose(),
});

export type ParsedJobEvent = { readonly change: JobStateChange } | { readonly ignored: string };

/** The job's final state, or why the event is not one this pipeline acts on. */
export function parseJobStateEvent(event: unknown): ParsedJobEvent {
  const parsed = JobStateEventSchema.safeParse(event);
  if (!parsed.success) return { ignored: 'not a MediaConvert job state change' };
  const { detail } = parsed.data;
  const status = FINAL_JOB_STATES.find((state) => state === detail.status);
  if (!status) return { ignored: `job ${detail.jobId} is ${detail.status.slice(0, 40)}, not finished` };
  const durations = (detail.outputGroupDetails ?? []).flatMap((group) =>
    (group.outputDetails ?? []).map((output) => output.durationInMs ?? 0),
  );
  const longest = durations.length > 0 ? Math.max(...durations) : 0;
  return {
    change: {
      jobId: detail.jobId,
      status,
      videoId: detail.userMetadata?.videoId,
      uploadId: detail.userMetadata?.uploadId,
      durationSeconds: longest > 0 ? longest / 1000 : undefined,
      errorCode: detail.errorCode === undefined ? undefined : String(detail.errorCode),
      errorMessage: detail.errorMessage,
    },
  };
}
