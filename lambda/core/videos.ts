import { decodeCursor, encodeCursor } from './cursor';
import { ApiError, invalidState, notFound } from './errors';
import { MAX_TOKEN_LIFETIME_SECONDS, mintPlaybackToken } from './playback-token';
import {
  ConditionFailed,
  type CoreDeps,
  type RecordDeps,
  type StatusChange,
  type UploadedPart,
  WriteNotApplied,
} from './ports';
import {
  type CompleteUploadRequest,
  type CreateVideoRequest,
  type CreateVideoResponse,
  DEFAULT_PAGE_SIZE,
  type ListVideosQuery,
  MAX_PAGE_SIZE,
  type PlaybackResponse,
  type UpdateVideoRequest,
  type UploadStateResponse,
  type Video,
} from './schemas';
import { expectedPartSize, mediaPrefix, planUpload, sourceKey, uploadPrefix } from './upload-plan';
import { type Caller, canTransition, isOwnedBy, isVisibleTo, toVideo, type VideoRecord } from './video';
import { readVideo, storeVideo } from './video-cache';
import { webhookEvent } from './webhook-event';

/**
 * The API's use cases. Each takes its ports, the verified caller (or none) and validated input,
 * and either returns the answer or throws an `ApiError`. Nothing here knows HTTP or AWS.
 */

const nowIso = (deps: Pick<CoreDeps, 'clock'>): string => deps.clock.now().toISOString();
const nowSeconds = (deps: CoreDeps): number => Math.floor(deps.clock.now().getTime() / 1000);

/** The record, if the caller owns it. Someone else's public video is 403, a private one 404. */
async function ownedRecord(deps: CoreDeps, caller: Caller, id: string): Promise<VideoRecord> {
  const record = await deps.catalog.get(id);
  if (!record || !isVisibleTo(record, caller)) throw notFound();
  if (!isOwnedBy(record, caller)) throw new ApiError('FORBIDDEN', 'Only the owner may change this video.');
  return record;
}

async function presignParts(deps: CoreDeps, record: VideoRecord, partNumbers: readonly number[]) {
  const { key, uploadId } = record.upload;
  const ttl = deps.policy.uploadUrlTtlSeconds;
  const parts = await Promise.all(
    partNumbers.map(async (partNumber) => ({
      partNumber,
      url: await deps.uploads.presignUploadPart(key, uploadId, partNumber, ttl),
    })),
  );
  return { parts, expiresAt: new Date(deps.clock.now().getTime() + ttl * 1000).toISOString() };
}

/** True only if the catalog answers that there is no such record; false if it cannot answer. */
const recordIsAbsent = (deps: CoreDeps, id: string): Promise<boolean> =>
  deps.catalog.get(id).then(
    (record) => record === undefined,
    () => false,
  );

export async function createVideo(
  deps: CoreDeps,
  caller: Caller,
  input: CreateVideoRequest,
): Promise<CreateVideoResponse> {
  const contentType = input.contentType.toLowerCase();
  if (!deps.policy.allowedContentTypes.includes(contentType))
    throw new ApiError(
      'UNSUPPORTED_MEDIA_TYPE',
      `contentType ${JSON.stringify(input.contentType)} is not accepted; use one of ${deps.policy.allowedContentTypes.join(', ')}`,
    );
  if (input.sizeBytes > deps.policy.maxUploadBytes)
    throw new ApiError(
      'PAYLOAD_TOO_LARGE',
      `sizeBytes ${input.sizeBytes} is over the maximum of ${deps.policy.maxUploadBytes} bytes`,
    );
  const id = deps.ids.newVideoId();
  const key = sourceKey(id);
  const plan = planUpload(input.sizeBytes);
  // The multipart upload comes first: a record without an upload could never complete. If the
  // catalog write then fails (DynamoDB down or throttling), the upload is aborted at once, so the
  // failed call leaves nothing behind; should S3 be gone too, its lifecycle rule aborts it later.
  const uploadId = await deps.uploads.createMultipartUpload(key, contentType);
  const now = nowIso(deps);
  const record: VideoRecord = {
    id,
    ownerId: caller.userId,
    title: input.title,
    description: input.description ?? '',
    visibility: input.visibility,
    status: 'UPLOADING',
    fileName: input.fileName,
    contentType,
    sizeBytes: input.sizeBytes,
    createdAt: now,
    updatedAt: now,
    upload: { key, uploadId, ...plan },
  };
  try {
    await deps.catalog.create(record);
  } catch (error) {
    // Only an upload whose record certainly does not exist is aborted: a write that timed out may
    // have landed, and a record must never point at an aborted upload.
    if (error instanceof WriteNotApplied || (await recordIsAbsent(deps, id)))
      await deps.uploads.abortMultipartUpload(key, uploadId).catch(() => undefined);
    throw error;
  }
  await storeVideo(deps, id, record);
  const partNumbers = Array.from({ length: plan.partCount }, (_, index) => index + 1);
  const { parts, expiresAt } = await presignParts(deps, record, partNumbers);
  return {
    video: toVideo(record),
    upload: { uploadId, partSize: plan.partSize, partCount: plan.partCount, parts, expiresAt },
  };
}

function requireUploading(record: VideoRecord): void {
  if (record.status !== 'UPLOADING') throw invalidState(`The video is ${record.status}; its upload is no longer open.`);
}

export async function getUploadState(deps: CoreDeps, caller: Caller, id: string): Promise<UploadStateResponse> {
  const record = await ownedRecord(deps, caller, id);
  requireUploading(record);
  const { key, uploadId, partSize, partCount } = record.upload;
  const uploaded = await deps.uploads.listParts(key, uploadId);
  if (!uploaded) throw invalidState('The upload no longer exists; it was completed or aborted.');
  const done = new Set(uploaded.map((part) => part.partNumber));
  const missing = Array.from({ length: partCount }, (_, index) => index + 1).filter((n) => !done.has(n));
  const { parts, expiresAt } = await presignParts(deps, record, missing);
  return {
    uploadId,
    partSize,
    partCount,
    uploadedParts: uploaded.map(({ partNumber, etag, sizeBytes }) => ({ partNumber, etag, sizeBytes })),
    parts,
    expiresAt,
  };
}

const unquote = (etag: string): string => etag.replace(/^"(.*)"$/, '$1');

/** Checks the client's part list against the plan and against what S3 holds. */
function checkParts(deps: CoreDeps, record: VideoRecord, input: CompleteUploadRequest, uploaded: UploadedPart[]): void {
  const { partCount } = record.upload;
  const sent = new Map<number, string>();
  for (const part of input.parts) {
    if (sent.has(part.partNumber)) throw new ApiError('VALIDATION_FAILED', `part ${part.partNumber} is listed twice`);
    sent.set(part.partNumber, unquote(part.etag));
  }
  if (sent.size !== partCount || input.parts.some((part) => part.partNumber > partCount))
    throw new ApiError('VALIDATION_FAILED', `parts must list each part from 1 to ${partCount} once`);

  const stored = new Map(uploaded.map((part) => [part.partNumber, part]));
  const total = uploaded.reduce((sum, part) => sum + part.sizeBytes, 0);
  if (total > deps.policy.maxUploadBytes)
    throw new ApiError('PAYLOAD_TOO_LARGE', `The uploaded parts hold ${total} bytes, over the maximum`);
  const missing: number[] = [];
  for (let partNumber = 1; partNumber <= partCount; partNumber++) {
    const part = stored.get(partNumber);
    if (!part) {
      missing.push(partNumber);
      continue;
    }
    if (unquote(part.etag) !== sent.get(partNumber))
      throw new ApiError('UPLOAD_INCOMPLETE', `part ${partNumber}'s ETag is not the one of the uploaded part`);
    const expected = expectedPartSize(record.upload, record.sizeBytes, partNumber);
    if (part.sizeBytes !== expected)
      throw new ApiError(
        'SIZE_MISMATCH',
        `part ${partNumber} holds ${part.sizeBytes} bytes; expected ${expected}: upload it again`,
      );
  }
  if (missing.length > 0)
    throw new ApiError(
      'UPLOAD_INCOMPLETE',
      `${missing.length} part(s) not uploaded yet, first ${missing.slice(0, 10).join(', ')}`,
    );
  if (total !== record.sizeBytes)
    throw new ApiError('SIZE_MISMATCH', `The parts hold ${total} bytes; ${record.sizeBytes} were declared`);
}

/**
 * Moves a video along one edge of the state machine, once: the catalog's conditional write
 * makes a racing or repeated move lose, which answers 409. The cache gets the new record.
 */
export async function transitionVideo(
  deps: RecordDeps,
  record: VideoRecord,
  change: Omit<StatusChange, 'updatedAt'>,
): Promise<VideoRecord> {
  if (!canTransition(record.status, change.status))
    throw invalidState(`A ${record.status} video cannot become ${change.status}.`);
  try {
    const updated = await deps.catalog.transition(record.id, record.status, { ...change, updatedAt: nowIso(deps) });
    await storeVideo(deps, record.id, updated);
    return updated;
  } catch (error) {
    if (error instanceof ConditionFailed)
      throw invalidState(`The video changed meanwhile; it is no longer ${record.status}.`);
    throw error;
  }
}

const markProcessing = async (deps: CoreDeps, record: VideoRecord): Promise<Video> =>
  toVideo(await transitionVideo(deps, record, { status: 'PROCESSING' }));

/**
 * Completes the upload and moves the video to PROCESSING, once. Two racing calls both may
 * reach S3; the catalog's conditional write lets one win, the other gets 409. A retry after a
 * crash between S3 and the catalog finds the object complete and finishes the transition.
 */
export async function completeUpload(
  deps: CoreDeps,
  caller: Caller,
  id: string,
  input: CompleteUploadRequest,
): Promise<{ video: Video }> {
  const record = await ownedRecord(deps, caller, id);
  requireUploading(record);
  const { key, uploadId } = record.upload;
  const uploaded = await deps.uploads.listParts(key, uploadId);
  if (uploaded) {
    checkParts(deps, record, input, uploaded);
    const parts = [...input.parts].sort((a, b) => a.partNumber - b.partNumber);
    if (await deps.uploads.completeMultipartUpload(key, uploadId, parts))
      return { video: await markProcessing(deps, record) };
  }
  // The upload is gone: completed by a racing call or before a crash, or aborted.
  const object = await deps.uploads.headObject(key);
  if (object?.sizeBytes === record.sizeBytes) return { video: await markProcessing(deps, record) };
  throw invalidState('The upload no longer exists; it was completed or aborted.');
}

export async function abortUpload(deps: CoreDeps, caller: Caller, id: string): Promise<void> {
  const record = await ownedRecord(deps, caller, id);
  requireUploading(record);
  await deps.uploads.abortMultipartUpload(record.upload.key, record.upload.uploadId);
  await transitionVideo(deps, record, {
    status: 'FAILED',
    error: { code: 'UPLOAD_ABORTED', message: 'The uploader aborted the upload.' },
  });
}

export async function getVideo(deps: CoreDeps, caller: Caller | undefined, id: string): Promise<{ video: Video }> {
  const record = await readVideo(deps, id);
  if (!record || !isVisibleTo(record, caller)) throw notFound();
  return { video: toVideo(record) };
}

export async function listVideos(
  deps: CoreDeps,
  caller: Caller,
  query: ListVideosQuery,
): Promise<{ items: Video[]; nextCursor: string | null }> {
  const limit = query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit);
  if (limit > MAX_PAGE_SIZE)
    throw new ApiError('VALIDATION_FAILED', `limit must be 1 to ${MAX_PAGE_SIZE}, got ${limit}`);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const page = await deps.catalog.listByOwner(caller.userId, limit, after);
  return { items: page.items.map(toVideo), nextCursor: page.next ? encodeCursor(page.next) : null };
}

export async function updateVideo(
  deps: CoreDeps,
  caller: Caller,
  id: string,
  input: UpdateVideoRequest,
): Promise<{ video: Video }> {
  await ownedRecord(deps, caller, id);
  try {
    const updated = await deps.catalog.updateDetails(id, caller.userId, { ...input, updatedAt: nowIso(deps) });
    await storeVideo(deps, id, updated);
    return { video: toVideo(updated) };
  } catch (error) {
    if (error instanceof ConditionFailed) throw notFound();
    throw error;
  }
}

/**
 * Deletes the upload, the outputs, announces it, and then deletes the record, in that order: a
 * crash part-way leaves the record, so the owner can simply delete again (and a receiver may
 * hear of the deletion twice, with the same event id, but never miss it).
 */
export async function deleteVideo(deps: CoreDeps, caller: Caller, id: string): Promise<void> {
  const record = await ownedRecord(deps, caller, id);
  if (record.status === 'UPLOADING') await deps.uploads.abortMultipartUpload(record.upload.key, record.upload.uploadId);
  await deps.uploads.deleteByPrefix(uploadPrefix(id));
  await deps.media.deleteByPrefix(mediaPrefix(id));
  await deps.notifier?.publish(webhookEvent('video.deleted', record, nowIso(deps)));
  await deps.catalog.delete(id, caller.userId);
  await storeVideo(deps, id, undefined);
}

/**
 * Playback URLs with a path token. Public videos get a long token, rounded up to the hour so
 * that everyone is handed the same URLs for an hour; private ones a short token, owner only.
 */
export async function getPlayback(deps: CoreDeps, caller: Caller | undefined, id: string): Promise<PlaybackResponse> {
  const record = await readVideo(deps, id);
  if (!record || !isVisibleTo(record, caller)) throw notFound();
  if (record.status !== 'READY' || !record.outputs)
    throw invalidState(`The video is ${record.status}; it plays once it is READY.`);
  const now = nowSeconds(deps);
  const latest = now + MAX_TOKEN_LIFETIME_SECONDS;
  const expiresAt =
    record.visibility === 'public'
      ? Math.min(latest, Math.ceil((now + deps.policy.publicPlaybackTtlSeconds) / 3600) * 3600)
      : Math.min(latest, now + deps.policy.privatePlaybackTtlSeconds);
  const token = mintPlaybackToken(await deps.signingKeys.currentKey(), id, expiresAt);
  const url = (key: string) => `${deps.policy.cdnBaseUrl}/t/${token}/${key}`;
  return {
    hls: url(record.outputs.hls),
    mp4: url(record.outputs.mp4),
    thumbnail: url(record.outputs.thumbnail),
    expiresAt: new Date(expiresAt * 1000).toISOString(),
  };
}
