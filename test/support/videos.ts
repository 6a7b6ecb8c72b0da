import Redis from 'ioredis';
import { DynamoDbCatalog } from '../../lambda/adapters/dynamodb-catalog';
import { CATALOG_SCHEMA } from '../../lambda/api/routes';
import { sharedRuntime } from '../../lambda/api/runtime';
import { ERROR_STATUS, type ErrorCode } from '../../lambda/core/errors';
import { MIB } from '../../lambda/core/upload-plan';
import type { VideoRecord } from '../../lambda/core/video';
import { storeVideo } from '../../lambda/core/video-cache';
import { type ApiHarness, type ApiResponse, uploadParts } from './api-harness';
import { videoRequest } from './in-memory/videos';

/** Fixtures and assertions shared by the API suites. */

export { MIB };

/** A valid createVideo body, the core tests' request as JSON: a 1-byte public MP4 unless told otherwise. */
export function videoBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...videoRequest(), ...overrides };
}

/** Whether a response is the documented error: exactly `{ error: { code, message } }`, the code's status, JSON. */
export function isDocumentedError(response: ApiResponse): boolean {
  const { body } = response;
  return (
    response.headers['content-type'] === 'application/json' &&
    body !== null &&
    typeof body === 'object' &&
    Object.keys(body).join() === 'error' &&
    Object.keys(body.error).sort().join() === 'code,message' &&
    typeof body.error.code === 'string' &&
    typeof body.error.message === 'string' &&
    body.error.message.length > 0 &&
    ERROR_STATUS[body.error.code as ErrorCode] === response.status
  );
}

/** The response is the documented error with this status (and code, if given). */
export function expectApiError(response: ApiResponse, status: number, code?: ErrorCode): void {
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: { error: { code: code ?? expect.any(String), message: expect.any(String) } },
  });
  expect(isDocumentedError(response)).toBe(true);
}

/** The response is a 4xx in the documented shape: the caller's fault, said the documented way. */
export function expectClientError(response: ApiResponse): void {
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(isDocumentedError(response)).toBe(true);
}

/** Creates a video as `owner`; fails the test unless the API answers 201. */
export async function createVideo(api: ApiHarness, owner: string, overrides: Record<string, unknown> = {}) {
  const response = await api.call('createVideo', { as: owner, body: videoBody(overrides) });
  if (response.status !== 201) throw new Error(`createVideo: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as {
    video: { id: string; [field: string]: unknown };
    upload: { uploadId: string; partSize: number; partCount: number; parts: { partNumber: number; url: string }[] };
  };
}

/** Creates a video of `sizeBytes` and uploads every part; returns its id and the parts to complete it with. */
export async function uploadedVideo(api: ApiHarness, owner: string, overrides: Record<string, unknown> = {}) {
  const created = await createVideo(api, owner, overrides);
  const bytes = Buffer.alloc(Number(overrides.sizeBytes ?? 1), 7);
  const parts = await uploadParts(created.upload.parts, created.upload.partSize, bytes);
  return { id: created.video.id, parts, created };
}

/** Creates, uploads and completes a video: it is PROCESSING. */
export async function processingVideo(api: ApiHarness, owner: string, overrides: Record<string, unknown> = {}) {
  const { id, parts } = await uploadedVideo(api, owner, overrides);
  const completed = await api.call('completeUpload', { as: owner, id, body: { parts } });
  if (completed.status !== 202)
    throw new Error(`completeUpload: ${completed.status} ${JSON.stringify(completed.body)}`);
  return id;
}

/** PUTs one part's bytes to a presigned URL; returns its ETag. */
export async function putPart(url: string, bytes: Buffer): Promise<string> {
  const response = await fetch(url, { method: 'PUT', body: bytes });
  if (!response.ok) throw new Error(`PUT part: ${response.status} ${await response.text()}`);
  return response.headers.get('etag') ?? '';
}

/** The DynamoDB catalog adapter over the harness's table. */
export const catalogOf = (api: ApiHarness): DynamoDbCatalog =>
  new DynamoDbCatalog(api.servers.dynamodb, {
    tableName: api.servers.tableName,
    ownerIndexName: CATALOG_SCHEMA.ownerIndexName,
  });

export const outputsOf = (id: string) => ({
  hls: `v/${id}/hls/master.m3u8`,
  mp4: `v/${id}/mp4/720p.mp4`,
  thumbnail: `v/${id}/thumbs/poster.jpg`,
});

/**
 * Does what the transcoding pipeline does when a job succeeds: moves the video to READY with
 * its outputs in the catalog, and stores the new record in the cache as every write does.
 */
export async function markReady(api: ApiHarness, id: string): Promise<VideoRecord> {
  const catalog = catalogOf(api);
  const current = await catalog.get(id);
  const updatedAt = new Date().toISOString();
  if (current?.status === 'UPLOADING') await catalog.transition(id, 'UPLOADING', { status: 'PROCESSING', updatedAt });
  const ready = await catalog.transition(id, 'PROCESSING', {
    status: 'READY',
    updatedAt,
    durationSeconds: 12.5,
    renditions: [{ width: 1280, height: 720, bitrateKbps: 3000 }],
    outputs: outputsOf(id),
  });
  await storeVideo(sharedRuntime().deps, id, ready);
  return ready;
}

/** A client of the harness's Valkey (redis-server), to look at what the API cached. */
export function cacheClient(api: ApiHarness): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port: api.servers.redis.port,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 100,
  });
  // Expected while a test has the server stopped; the client reconnects by itself.
  client.on('error', () => undefined);
  return client;
}
