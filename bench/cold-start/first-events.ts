import { randomUUID } from 'node:crypto';
import { API_ROUTES } from '../../lambda/api/routes';
import type { VideoRecord } from '../../lambda/core/video';
import { webhookEvent } from '../../lambda/core/webhook-event';
import { buildJobStateEvent } from '../../lambda/transcode/job-state-event-builder';
import { proxyEvent } from '../../local/api-gateway-event';
import { s3Notification } from '../../local/s3-notifications';

/** An id no video in the catalog has: the first events name it, and each handler reads it and finds nothing. */
const MISSING_ID = 'bench0000000000000000000';

function videoRecord(): VideoRecord {
  const at = new Date().toISOString();
  return {
    id: MISSING_ID,
    ownerId: 'bench-user',
    title: 'Bench',
    visibility: 'public',
    status: 'READY',
    fileName: 'bench.mp4',
    contentType: 'video/mp4',
    sizeBytes: 1_000_000,
    createdAt: at,
    updatedAt: at,
    upload: { key: `uploads/${MISSING_ID}/source`, uploadId: 'done', partSize: 8_388_608, partCount: 1 },
  } as VideoRecord;
}

const sqsEvent = (body: string) => ({
  Records: [
    {
      messageId: randomUUID(),
      receiptHandle: 'bench-receipt',
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:bench',
      awsRegion: 'eu-west-1',
    },
  ],
});

/** What a handler answers, as far as the bench checks it. */
export type Answer = { statusCode?: number; batchItemFailures?: unknown[]; result?: string } | undefined;

/** A first event that runs the handler's own code path, and what its answer must look like. */
export function firstEvent(
  entry: string,
  uploadBucket: string,
): { event: unknown; check: (result: Answer) => boolean } {
  const route = API_ROUTES.find((candidate) => entry === `lambda/api/${candidate.handlerFile}.ts`);
  if (route) {
    const bodies: Record<string, unknown> = {
      createVideo: {
        title: 'Bench',
        visibility: 'private',
        fileName: 'bench.mp4',
        contentType: 'video/mp4',
        sizeBytes: 10_000_000,
      },
      updateVideo: { title: 'Bench' },
      completeUpload: { parts: [{ partNumber: 1, etag: '"0"' }] },
    };
    const body = bodies[route.operationId];
    const event = proxyEvent({
      method: route.method,
      resource: route.path,
      path: route.path.replace('{id}', MISSING_ID),
      pathParameters: route.path.includes('{id}') ? { id: MISSING_ID } : undefined,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : null,
      claims: route.auth === 'required' ? { sub: 'bench-user' } : undefined,
    });
    // Creating writes the catalog and starts a multipart upload; listing reads the catalog; every
    // other route answers 404 for a video that does not exist, after reading the catalog.
    const expected = route.operationId === 'createVideo' ? 201 : route.operationId === 'listVideos' ? 200 : 404;
    return { event, check: (result) => result?.statusCode === expected };
  }
  switch (entry) {
    case 'lambda/transcode/submit-jobs.ts':
      // An upload of an unknown video: read from the catalog, then dropped.
      return {
        event: sqsEvent(s3Notification({ bucket: uploadBucket, key: `uploads/${MISSING_ID}/source` })),
        check: (result) => Array.isArray(result?.batchItemFailures) && result.batchItemFailures.length === 0,
      };
    case 'lambda/transcode/job-state-change.ts':
      return {
        event: buildJobStateEvent(
          { accountId: '000000000000', region: 'eu-west-1' },
          {
            jobId: 'bench-job',
            status: 'ERROR',
            userMetadata: { videoId: MISSING_ID, uploadId: 'bench-upload' },
            errorCode: 1010,
            errorMessage: 'bench',
          },
        ),
        check: (result) => result?.result === 'dropped',
      };
    case 'lambda/notify/deliver-webhooks.ts':
      // Signed and POSTed to the bench's receiver on loopback.
      return {
        event: sqsEvent(JSON.stringify(webhookEvent('video.ready', videoRecord(), new Date().toISOString()))),
        check: (result) => Array.isArray(result?.batchItemFailures) && result.batchItemFailures.length === 0,
      };
    default:
      throw new Error(`no first event for ${entry}: add one to bench/cold-start/first-events.ts`);
  }
}
