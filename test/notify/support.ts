import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { transformSync } from 'esbuild';
import type { VideoRecord } from '../../lambda/core/video';
import { type WebhookEvent, type WebhookEventType, webhookEvent } from '../../lambda/core/webhook-event';
import { createQueueWithDeadLetter as createLocalQueue } from '../../local/sqs-server';

/** The verification function a receiver would copy from docs/webhooks.md. */
export type VerifyWebhook = (
  rawBody: Buffer,
  header: string | string[] | undefined,
  secret: string,
  nowSeconds?: number,
) => boolean;

/** The webhooks document, as a receiver's author reads it. */
export function webhooksDoc(): string {
  return readFileSync(join(__dirname, '..', '..', 'docs', 'webhooks.md'), 'utf8');
}

/** The JavaScript code block of the webhooks document that defines `verifyWebhook`, as written. */
export function documentedVerificationSnippet(): string {
  const blocks = [...webhooksDoc().matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  const snippet = blocks.find((block) => block.includes('function verifyWebhook'));
  if (!snippet) throw new Error('docs/webhooks.md has no js block defining verifyWebhook');
  return snippet;
}

/**
 * Evaluates the documented snippet unchanged: esbuild only turns its ES module syntax into
 * CommonJS, which Jest can run without experimental flags.
 */
export function documentedVerifier(): VerifyWebhook {
  const { code } = transformSync(documentedVerificationSnippet(), { format: 'cjs', loader: 'js', target: 'node20' });
  const module = { exports: {} as { verifyWebhook?: VerifyWebhook } };
  new Function('module', 'exports', 'require', code)(module, module.exports, require);
  if (typeof module.exports.verifyWebhook !== 'function') throw new Error('the snippet exports no verifyWebhook');
  return module.exports.verifyWebhook;
}

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: Buffer;
  /** What the documented verification said. */
  readonly verified: boolean;
  readonly status: number;
  readonly at: number;
}

export interface Receiver {
  readonly port: number;
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** What a request that verifies is answered with. */
  status: number;
  close(): Promise<void>;
}

/**
 * A webhook receiver on 127.0.0.1 that checks every request with its own verification (the
 * documented one), answers 401 to one that fails it and `status` to the others, and records them all.
 */
export async function startReceiver(options: {
  secret: string;
  verify: VerifyWebhook;
  port?: number;
  status?: number;
}): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let server: Server | undefined;
  const receiver: Receiver = {
    port: 0,
    url: '',
    requests,
    status: options.status ?? 204,
    close: () =>
      new Promise<void>((resolve) => {
        server?.closeAllConnections();
        server?.close(() => resolve());
      }),
  };
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const verified = options.verify(rawBody, request.headers['webhook-signature'], options.secret);
      const status = verified ? receiver.status : 401;
      requests.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        rawBody,
        verified,
        status,
        at: Date.now(),
      });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server?.once('error', reject);
    server?.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  Object.assign(receiver, { port, url: `http://127.0.0.1:${port}/hooks` });
  return receiver;
}

/** A catalog record in the state its event tells of. */
export function videoRecord(id: string, status: VideoRecord['status'] = 'READY'): VideoRecord {
  return {
    id,
    ownerId: 'alice',
    title: `Video ${id} — «quoted» ✓`,
    description: 'line one\nline two',
    visibility: 'public',
    status,
    fileName: 'clip.mp4',
    contentType: 'video/mp4',
    sizeBytes: 12_345_678,
    createdAt: '2026-01-01T12:00:00.000Z',
    updatedAt: '2026-01-01T12:05:00.000Z',
    upload: { key: `uploads/${id}/source`, uploadId: 'upload-1', partSize: 8 * 1024 * 1024, partCount: 2 },
    ...(status === 'READY'
      ? { durationSeconds: 42.5, renditions: [{ width: 1280, height: 720, bitrateKbps: 3000 }] }
      : {}),
    ...(status === 'FAILED' ? { error: { code: 'TRANSCODE_FAILED', message: 'the source has no video track' } } : {}),
  };
}

const TYPES = [
  ['video.ready', 'READY'],
  ['video.failed', 'FAILED'],
  ['video.deleted', 'READY'],
] as const satisfies readonly (readonly [WebhookEventType, VideoRecord['status']])[];

/** `count` events of every type, each for its own video. */
export function sampleEvents(count: number, prefix = 'vid'): WebhookEvent[] {
  return Array.from({ length: count }, (_, index) => {
    const [type, status] = TYPES[index % TYPES.length] ?? TYPES[0];
    return webhookEvent(type, videoRecord(`${prefix}_${index}`, status), '2026-01-01T12:05:01.000Z');
  });
}

/** A queue and its dead-letter queue, with the redrive policy the webhook construct sets. */
export const createQueueWithDeadLetter = (sqs: SQSClient, name: string, maxReceiveCount: number) =>
  createLocalQueue(sqs, name, { visibilityTimeoutSeconds: 30, maxReceiveCount });

export { messagesIn } from '../support/queues';

/** Waits until `condition` holds, polling every 50 ms; fails after `timeoutMs` with `what`. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
