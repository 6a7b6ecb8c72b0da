import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for MediaConvert's REST-JSON endpoint on 127.0.0.1: it keeps every request as the
 * SDK serialized it and answers CreateJob (`POST /2017-08-29/jobs`) with 201 and `{ job: {...} }`,
 * a new job id each time. Unlike MediaConvert it does NOT deduplicate by `clientRequestToken`:
 * every accepted request is a new job, so a test that counts jobs proves the caller's own
 * safeguards against duplicates.
 */

export interface MediaConvertRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body (`undefined` when empty). */
  readonly body: any;
  /** The status it was answered with. */
  readonly status: number;
}

/** One job the endpoint accepted. */
export interface CreatedJob {
  readonly id: string;
  /** The CreateJob body. */
  readonly request: any;
}

/** How a refused request is answered: 500 `InternalServerErrorException` (retryable) or 400 `BadRequestException`. */
export type Refusal = 500 | 400;

export interface MediaConvertEndpoint {
  /** `http://127.0.0.1:{port}`, for the client's `endpoint` or `AWS_ENDPOINT_URL_MEDIACONVERT`. */
  readonly url: string;
  /** Every request received, accepted or refused, in order. */
  readonly requests: MediaConvertRequest[];
  /** The jobs created, in order. */
  readonly jobs: CreatedJob[];
  /** Refuses the next `count` requests (`Infinity`: until `recover()`); the SDK retries a 500 on its own. */
  failNext(count: number, status?: Refusal, message?: string): void;
  /** Accepts every request again. */
  recover(): void;
  /** Forgets the requests and jobs recorded so far, and recovers. */
  reset(): void;
  /** What the next accepted job's fields are answered with (merged into the default). */
  answerWith(job: Record<string, unknown> | undefined): void;
  close(): Promise<void>;
}

const ERROR_TYPES: Record<Refusal, string> = { 500: 'InternalServerErrorException', 400: 'BadRequestException' };

export async function startMediaConvertEndpoint(): Promise<MediaConvertEndpoint> {
  const requests: MediaConvertRequest[] = [];
  const jobs: CreatedJob[] = [];
  let failures = 0;
  let refusal: { status: Refusal; message: string } = { status: 500, message: 'Internal failure' };
  let extra: Record<string, unknown> | undefined;
  let created = 0;

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: any;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      const record = (status: number) =>
        requests.push({
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          body,
          status,
        });
      const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        record(status);
        response.writeHead(status, { 'content-type': 'application/json', ...headers });
        response.end(JSON.stringify(payload));
      };

      if (request.method !== 'POST' || request.url?.split('?')[0] !== '/2017-08-29/jobs')
        return reply(
          404,
          { message: `no such operation: ${request.method} ${request.url}` },
          {
            'x-amzn-errortype': 'NotFoundException',
          },
        );
      if (failures > 0) {
        failures -= 1;
        return reply(refusal.status, { message: refusal.message }, { 'x-amzn-errortype': ERROR_TYPES[refusal.status] });
      }
      created += 1;
      const id = `${Date.now()}-${String(created).padStart(4, '0')}${randomBytes(3).toString('hex')}`;
      jobs.push({ id, request: body });
      reply(201, {
        job: {
          id,
          arn: `arn:aws:mediaconvert:eu-west-1:123456789012:jobs/${id}`,
          status: 'SUBMITTED',
          role: body?.role,
          queue: body?.queue,
          userMetadata: body?.userMetadata,
          createdAt: Math.floor(Date.now() / 1000),
          settings: {},
          ...extra,
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    jobs,
    failNext(count, status = 500, message = status === 400 ? 'Invalid job settings' : 'Internal failure') {
      failures = count;
      refusal = { status, message };
    },
    recover() {
      failures = 0;
    },
    reset() {
      requests.length = 0;
      jobs.length = 0;
      failures = 0;
      extra = undefined;
    },
    answerWith(job) {
      extra = job;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
