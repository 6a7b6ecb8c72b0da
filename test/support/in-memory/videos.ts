import { ApiError, type ErrorCode } from '../../../lambda/core/errors';
import type { CreateVideoRequest } from '../../../lambda/core/schemas';
import { expectedPartSize, MIB } from '../../../lambda/core/upload-plan';
import type { Caller } from '../../../lambda/core/video';
import { createVideo } from '../../../lambda/core/videos';
import type { InMemoryCore } from './core';

/** Fixtures for the core's unit tests: videos created and uploaded through the in-memory ports. */

export { MIB };

/** A valid createVideo input: a 1-byte public MP4 unless told otherwise. */
export const videoRequest = (overrides: Partial<CreateVideoRequest> = {}): CreateVideoRequest => ({
  title: 'A video',
  visibility: 'public',
  fileName: 'clip.mp4',
  contentType: 'video/mp4',
  sizeBytes: 1,
  ...overrides,
});

export const caller = (userId: string): Caller => ({ userId });

/** What `call` rejected with, or `undefined` if it resolved. */
export const thrownBy = (call: Promise<unknown>): Promise<unknown> =>
  call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );

/** `error` is the use case's refusal: an ApiError with this code (and a message that matches). */
export function expectRefusal(error: unknown, code: ErrorCode, message?: RegExp): void {
  expect(error).toBeInstanceOf(ApiError);
  expect(error).toMatchObject({ code, ...(message ? { message: expect.stringMatching(message) } : {}) });
}

/** `call` is refused with an ApiError with this code (and a message that matches). */
export async function expectRefused(call: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  expectRefusal(await thrownBy(call), code, message);
}

const bodies = new Map<string, Uint8Array>();

/**
 * `sizeBytes` of zeros but for the first byte, `marker`: parts with different markers get
 * different ETags, and untouched zeros cost no memory. One object per size and marker, so that
 * the store hashes it once however many tests upload it.
 */
export function partBody(sizeBytes: number, marker = 1): Uint8Array {
  const name = `${sizeBytes}:${marker}`;
  let body = bodies.get(name);
  if (!body) {
    body = new Uint8Array(sizeBytes);
    if (sizeBytes > 0) body[0] = marker;
    bodies.set(name, body);
  }
  return body;
}

export interface UploadedVideo {
  readonly id: string;
  readonly key: string;
  readonly uploadId: string;
  /** What the uploader sends to complete: each part's number and ETag, in order. */
  readonly parts: { partNumber: number; etag: string }[];
}

/**
 * Creates a video as `owner` and uploads each part at the size the plan wants (part `n` marked
 * `n`); `skip` leaves those part numbers out, and their ETags in `parts` are made up.
 */
export async function uploadedVideo(
  core: InMemoryCore,
  owner: string,
  input: Partial<CreateVideoRequest> = {},
  skip: readonly number[] = [],
): Promise<UploadedVideo> {
  const { video, upload } = await createVideo(core.deps, caller(owner), videoRequest(input));
  const record = await core.catalog.get(video.id);
  if (!record) throw new Error(`createVideo wrote no record for ${video.id}`);
  const { key, uploadId } = record.upload;
  const parts = [];
  for (const { partNumber } of upload.parts) {
    const body = partBody(expectedPartSize(record.upload, record.sizeBytes, partNumber), partNumber);
    const etag = skip.includes(partNumber)
      ? `"never-uploaded-${partNumber}"`
      : await core.uploads.uploadPart(key, uploadId, partNumber, body);
    parts.push({ partNumber, etag });
  }
  return { id: video.id, key, uploadId, parts };
}
