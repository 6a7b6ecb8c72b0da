import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { API_ROUTES } from '../../lambda/api/routes';
import { proxyEvent } from '../../local/api-gateway-event';
import { type LocalServers, startLocalServers } from '../../local/harness/local-servers';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export interface ApiCall {
  /** Path parameter `id`. */
  readonly id?: string;
  /** A JSON value (stringified) or a raw string sent as is. */
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly query?: Record<string, string | string[]>;
  readonly headers?: Record<string, string>;
  /** On authorized routes: the user API Gateway's authorizer let through. */
  readonly as?: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: any;
  readonly raw: APIGatewayProxyResult;
}

export interface ApiHarness {
  readonly servers: LocalServers;
  /** Invokes the handler of `operationId` with an event shaped as API Gateway builds it. */
  call(operationId: string, request?: ApiCall): Promise<ApiResponse>;
  /** An `Authorization` header with a valid token for `sub`, for the routes without an authorizer. */
  bearer(sub: string): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * Starts the local servers, points the handlers' environment at them and loads every handler
 * module (each builds its runtime, as in a Lambda container, once).
 */
export async function startApiHarness(overrides: Record<string, string> = {}): Promise<ApiHarness> {
  const servers = await startLocalServers(overrides);
  Object.assign(process.env, servers.env);
  const handlers = new Map<string, Handler>();
  for (const route of API_ROUTES) {
    const module = await import(`../../lambda/api/${route.handlerFile}`);
    handlers.set(route.operationId, module.handler);
  }
  const runtime = (await import('../../lambda/api/runtime')).sharedRuntime();

  return {
    servers,
    async call(operationId, request = {}) {
      const route = API_ROUTES.find((candidate) => candidate.operationId === operationId);
      const handler = handlers.get(operationId);
      if (!route || !handler) throw new Error(`no route ${operationId}`);
      const path = route.path.replace('{id}', encodeURIComponent(request.id ?? ''));
      const headers: Record<string, string> = { ...(request.headers ?? {}) };
      let body: string | undefined = request.rawBody;
      if (body === undefined && request.body !== undefined) {
        body = JSON.stringify(request.body);
        headers['Content-Type'] ??= 'application/json';
      }
      const event = proxyEvent({
        method: route.method,
        resource: route.path,
        path,
        pathParameters: route.path.includes('{id}') ? { id: request.id ?? '' } : undefined,
        query: request.query,
        headers,
        body,
        claims: route.auth === 'required' && request.as !== undefined ? { sub: request.as } : undefined,
      });
      const raw = await handler(event);
      const responseHeaders = Object.fromEntries(
        Object.entries(raw.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
      );
      return {
        status: raw.statusCode,
        headers: responseHeaders,
        body: raw.body ? JSON.parse(raw.body) : undefined,
        raw,
      };
    },
    async bearer(sub) {
      return { Authorization: `Bearer ${await servers.identity.issue(sub)}` };
    },
    async stop() {
      runtime.cache.disconnect();
      await servers.stop();
    },
  };
}

/** Uploads `bytes` part by part to the presigned URLs, as a browser would; returns the parts' ETags. */
export async function uploadParts(
  parts: readonly { partNumber: number; url: string }[],
  partSize: number,
  bytes: Buffer,
): Promise<{ partNumber: number; etag: string }[]> {
  const uploaded: { partNumber: number; etag: string }[] = [];
  for (const part of parts) {
    const chunk = bytes.subarray((part.partNumber - 1) * partSize, part.partNumber * partSize);
    const response = await fetch(part.url, { method: 'PUT', body: chunk });
    if (!response.ok) throw new Error(`part ${part.partNumber}: ${response.status} ${await response.text()}`);
    uploaded.push({ partNumber: part.partNumber, etag: response.headers.get('etag') ?? '' });
  }
  return uploaded;
}
