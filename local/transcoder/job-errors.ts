/**
 * MediaConvert's error codes, as its documentation names them: 1010 when it cannot open or read
 * the input (missing, unreadable, not a video), 1999 for anything else (here: ffmpeg failing on
 * an input it could open, or an output that could not be written).
 */
export const JOB_ERROR_CODES = Object.freeze({ inputUnreadable: 1010, other: 1999 });

/** A job failed for a reason MediaConvert would report: not a bug, nothing to tell `onError`. */
export class JobFailure extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'JobFailure';
  }
}

/** The transcoder was closed under the job. */
export class JobStopped extends Error {}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Throws `JobStopped` once the transcoder was closed (`signal` aborted). */
export function checkOpen(signal: AbortSignal): void {
  if (signal.aborted) throw new JobStopped('the transcoder was closed');
}
