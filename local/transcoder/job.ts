import { randomInt } from 'node:crypto';
import { VIDEO_ID_PATTERN } from '../../lambda/core/playback-token';
import type { TranscodeRequest } from '../../lambda/core/ports';

/** A job the transcoder accepted. */
export interface Job {
  readonly jobId: string;
  readonly request: TranscodeRequest;
  /** Order of acceptance, kept across restarts by the journal. */
  readonly sequence: number;
}

/** MediaConvert's limit on `ClientRequestToken`. */
const CLIENT_TOKEN_PATTERN = /^[\x20-\x7E]{1,64}$/;
/** What `newJobId` makes; a journal file's name is built from it. */
export const JOB_ID_PATTERN = /^\d{13}-[a-z0-9]{6}$/;

/** MediaConvert's job id format: epoch milliseconds, a dash, six lowercase letters or digits. */
export function newJobId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const suffix = Array.from({ length: 6 }, () => alphabet[randomInt(alphabet.length)]).join('');
  return `${Date.now()}-${suffix}`;
}

/** Refuses what CreateJob would refuse, and ids that could not be a key prefix. */
export function checkRequest(request: TranscodeRequest): void {
  if (!CLIENT_TOKEN_PATTERN.test(request.clientToken))
    throw new RangeError('clientToken must be 1 to 64 printable ASCII characters');
  if (!VIDEO_ID_PATTERN.test(request.videoId)) throw new RangeError(`invalid video id ${request.videoId}`);
  if (request.plan.videoId !== request.videoId)
    throw new RangeError(`the plan is for video ${request.plan.videoId}, the request for ${request.videoId}`);
}
