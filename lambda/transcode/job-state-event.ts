import * as z from 'zod';
import type { JobStateChange } from '../core/transcoding';

/**
 * MediaConvert's "MediaConvert Job State Change" event, as EventBridge delivers it (and as the
 * local twin's transcoder emits it). Only final states matter; the rule lets only them through.
 */

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

export const FINAL_JOB_STATES = ['COMPLETE', 'ERROR', 'CANCELED'] as const;

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
