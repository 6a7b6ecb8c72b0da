import { randomUUID } from 'node:crypto';
import { createReadStream, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { z } from 'zod';
import { errorResponse } from '../lambda/api/http';
import { API_CORS, type RouteDefinition } from '../lambda/api/routes';
import { RATE_LIMITED_BODY } from '../lambda/core/errors';
import { proxyEvent } from './api-gateway-event';
import type { LocalIdentity } from './identity-issuer';
import { type LoopbackServer, listenOnLoopback } from './ports';
import { type RateRule, rateLimitHeaders, type TokenBucketLimiter } from './token-bucket';

/**
 * The twin's API Gateway: one HTTP server on loopback that does what the REST API, its Cognito
 * authorizer and the regional web ACL do in AWS, then calls the very same handler functions with
 * the proxy event API Gateway would build:
 * - the web ACL's per-IP rate rules (a token bucket in Redis), answering 429 with `Retry-After`;
 * - routing by `API_ROUTES`, with API Gateway's answers for an unknown route (404 here, as the
 *   stack's gateway responses map it), a body over 10 MB (413) and a POST/PATCH body that is not
 *   a JSON object (400, the stack's request validator);
 * - the authorizer on `auth: 'required'` routes: a valid ID token of the user pool or 401;
 * - CORS preflights, and gzip for bodies from 1 KiB (the stack's `minCompressionSize`).
 * Twin only: `POST /dev/tokens` signs in anyone by name, and the web page is served at `/`.
 */

export type ProxyHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

export interface ApiServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly routes: readonly RouteDefinition[];
  /** Each route's handler, by `operationId`. */
  readonly handlers: Readonly<Record<string, ProxyHandler>>;
  /** Issues the tokens of `POST /dev/tokens`; its key set is served at its `jwksUrl` path. */
  readonly identity: LocalIdentity;
  /** The authorizer's check: the user id of a valid ID token, or `undefined`. */
  readonly verifyToken: (token: string) => Promise<string | undefined>;
  readonly limiter: TokenBucketLimiter;
  /** The regional web ACL's rules: every request per IP, and upload creation per IP. */
  readonly rateRules: { readonly perIp: RateRule; readonly uploadCreation: RateRule };
  readonly allowedOrigins: readonly string[];
  /** Static files of the web page, by URL path. */
  readonly staticFiles: Readonly<Record<string, { readonly path: string; readonly contentType: string }>>;
  /** The page's Content-Security-Policy. */
  readonly contentSecurityPolicy: string;
  /** How long `POST /dev/tokens` tokens last. @default 43200 (12 hours) */
  readonly devTokenLifetimeSeconds?: number;
  /** Told of handler faults (the caller gets a 500). */
  readonly onFault?: (error: unknown) => void;
}

export type ApiServer = LoopbackServer;

/** API Gateway's payload limit. */
export const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** The stack's `minCompressionSize`. */
export const MIN_COMPRESSION_BYTES = 1024;
export const DEV_TOKENS_PATH = '/dev/tokens';

/**
 * Every `.js` file of `directory` as a static file at `/<name>`, served as JavaScript: the web
 * page's ES modules, so that a module added there is served without being listed here.
 */
export function scriptModules(directory: string): ApiServerOptions['staticFiles'] {
  const scripts = readdirSync(directory).filter((name) => name.endsWith('.js'));
  return Object.fromEntries(
    scripts.map((name) => [`/${name}`, { path: join(directory, name), contentType: 'text/javascript; charset=utf-8' }]),
  );
}

const DevTokenRequest = z.object({
  sub: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'sub: 1 to 64 letters, digits, dots, dashes, underscores or @'),
});

interface CompiledRoute {
  readonly route: RouteDefinition;
  readonly pattern: RegExp;
  readonly parameterNames: readonly string[];
}

function compile(route: RouteDefinition): CompiledRoute {
  const parameterNames: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const parameter = /^\{(\w+)\}$/.exec(segment);
      if (!parameter) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      parameterNames.push(parameter[1] as string);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), parameterNames };
}

class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Reads the body up to API Gateway's limit. */
async function readBody(request: IncomingMessage): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > GATEWAY_MAX_BODY_BYTES) throw new GatewayError(413, 'PAYLOAD_TOO_LARGE', 'Request Too Long');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_MAX_BODY_BYTES) throw new GatewayError(413, 'PAYLOAD_TOO_LARGE', 'Request Too Long');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const bearerToken = (authorization: string | undefined): string | undefined =>
  /^(?:Bearer )?([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization?.trim() ?? '')?.[1];

const singleHeaders = (request: IncomingMessage): Record<string, string> =>
  Object.fromEntries(
    Object.entries(request.headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
    ),
  );

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const routes = options.routes.map(compile);
  const jwksPath = new URL(options.identity.jwksUrl).pathname;
  const responseOptions = { allowedOrigins: options.allowedOrigins };

  /** A response in the API's error shape, with the CORS headers of the stack's gateway responses. */
  const gatewayError = (request: IncomingMessage, error: GatewayError): APIGatewayProxyResult => {
    const event = proxyEvent({
      method: request.method ?? 'GET',
      resource: '/',
      path: '/',
      headers: singleHeaders(request),
    });
    const response = errorResponse(event, responseOptions, error.status, error.code, error.message);
    return { ...response, headers: { ...response.headers, ...error.headers } };
  };

  const send = (request: IncomingMessage, response: ServerResponse, result: APIGatewayProxyResult): void => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    let body: Buffer = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
    const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    if (acceptsGzip && body.length >= MIN_COMPRESSION_BYTES) {
      body = gzipSync(body);
      headers['Content-Encoding'] = 'gzip';
      headers.Vary = headers.Vary ? `${headers.Vary}, Accept-Encoding` : 'Accept-Encoding';
    }
    headers['Content-Length'] = String(body.length);
    response.writeHead(result.statusCode, headers);
    response.end(request.method === 'HEAD' ? undefined : body);
  };

  /** Both rules of the web ACL; the tighter one is taken first so it does not spend a general token. */
  const rateLimit = async (request: IncomingMessage, path: string): Promise<Record<string, string>> => {
    const client = request.socket.remoteAddress ?? 'unknown';
    const rules = [options.rateRules.perIp];
    if (request.method === 'POST' && path.toLowerCase().endsWith('/videos'))
      rules.unshift(options.rateRules.uploadCreation);
    let headers: Record<string, string> = {};
    for (const rule of rules) {
      const decision = await options.limiter.take(rule, client);
      headers = rateLimitHeaders(decision);
      if (!decision.allowed)
        throw new GatewayError(429, 'RATE_LIMITED', JSON.parse(RATE_LIMITED_BODY).error.message, headers);
    }
    return headers;
  };

  const preflight = (request: IncomingMessage): APIGatewayProxyResult => {
    const origin = request.headers.origin;
    const allowOrigin = options.allowedOrigins.includes('*')
      ? '*'
      : origin !== undefined && options.allowedOrigins.includes(origin)
        ? origin
        : undefined;
    return {
      statusCode: 204,
      headers: {
        ...(allowOrigin ? { 'Access-Control-Allow-Origin': allowOrigin } : {}),
        'Access-Control-Allow-Methods': [...new Set(options.routes.map((route) => route.method))].join(','),
        'Access-Control-Allow-Headers': API_CORS.allowHeaders.join(','),
        'Access-Control-Max-Age': String(API_CORS.maxAgeSeconds),
        ...(options.allowedOrigins.includes('*') ? {} : { Vary: 'Origin' }),
      },
      body: '',
    };
  };

  const invoke = async (
    request: IncomingMessage,
    path: string,
    query: URLSearchParams,
  ): Promise<APIGatewayProxyResult> => {
    const method = request.method ?? 'GET';
    const matches = routes.flatMap((compiled) => {
      const match = compiled.pattern.exec(path);
      return match ? [{ compiled, match }] : [];
    });
    if (matches.length === 0) throw new GatewayError(404, 'NOT_FOUND', 'No such route.');
    if (method === 'OPTIONS') return preflight(request);
    const found = matches.find(({ compiled }) => compiled.route.method === method);
    // API Gateway answers a method a resource lacks like an unknown path.
    if (!found) throw new GatewayError(404, 'NOT_FOUND', 'No such route.');
    const { route, parameterNames } = found.compiled;

    const pathParameters: Record<string, string> = {};
    for (const [index, name] of parameterNames.entries()) {
      try {
        pathParameters[name] = decodeURIComponent(found.match[index + 1] as string);
      } catch {
        throw new GatewayError(400, 'BAD_REQUEST', 'Malformed path.');
      }
    }
    const headers = singleHeaders(request);
    const body = await readBody(request);
    if ((method === 'POST' || method === 'PATCH') && /^application\/json\b/i.test(headers['content-type'] ?? '')) {
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      if (json === null || typeof json !== 'object' || Array.isArray(json))
        throw new GatewayError(400, 'VALIDATION_FAILED', 'Invalid request body');
    }
    let claims: Record<string, string> | undefined;
    if (route.auth === 'required') {
      const token = bearerToken(headers.authorization);
      const sub = token === undefined ? undefined : await options.verifyToken(token);
      if (sub === undefined) throw new GatewayError(401, 'UNAUTHORIZED', 'Unauthorized');
      claims = { sub, token_use: 'id' };
    }
    const queryRecord: Record<string, string[]> = {};
    for (const [name, value] of query) {
      const values = queryRecord[name] ?? [];
      values.push(value);
      queryRecord[name] = values;
    }
    const event = proxyEvent({
      method,
      resource: route.path,
      path,
      pathParameters: parameterNames.length > 0 ? pathParameters : undefined,
      query: queryRecord,
      headers,
      body: body.length > 0 ? body : null,
      claims,
    });
    const handler = options.handlers[route.operationId];
    if (!handler) throw new Error(`no handler for ${route.operationId}`);
    return handler(event);
  };

  const devToken = async (request: IncomingMessage): Promise<APIGatewayProxyResult> => {
    if (request.method !== 'POST') throw new GatewayError(404, 'NOT_FOUND', 'No such route.');
    let parsed: z.ZodSafeParseResult<z.infer<typeof DevTokenRequest>>;
    try {
      parsed = DevTokenRequest.safeParse(JSON.parse(await readBody(request)));
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      throw new GatewayError(400, 'BAD_REQUEST', 'The body must be JSON: {"sub": "<name>"}.');
    }
    if (!parsed.success)
      throw new GatewayError(400, 'VALIDATION_FAILED', parsed.error.issues[0]?.message ?? 'Invalid body');
    const token = await options.identity.issue(parsed.data.sub, {
      expiresInSeconds: options.devTokenLifetimeSeconds ?? 43_200,
    });
    return {
      statusCode: 200,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
      body: JSON.stringify({ token }),
    };
  };

  const serveStatic = (request: IncomingMessage, response: ServerResponse, path: string): boolean => {
    const file = options.staticFiles[path];
    if (!file || (request.method !== 'GET' && request.method !== 'HEAD')) return false;
    response.writeHead(200, {
      'Content-Type': file.contentType,
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': options.contentSecurityPolicy,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    if (request.method === 'HEAD') response.end();
    else createReadStream(file.path).pipe(response);
    return true;
  };

  const server = createServer((request, response) => {
    const requestId = randomUUID();
    response.setHeader('x-amzn-RequestId', requestId);
    // The path as sent: WHATWG URL parsing would resolve `%2e%2e` segments, which API Gateway
    // passes to the route as they are (and the handler then refuses as an id).
    const target = request.url ?? '/';
    const queryAt = target.indexOf('?');
    const path = queryAt === -1 ? target : target.slice(0, queryAt);
    const searchParams = new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1));
    void (async () => {
      try {
        if (serveStatic(request, response, path)) return;
        if (path === jwksPath) {
          send(request, response, {
            statusCode: 200,
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(options.identity.jwks),
          });
          return;
        }
        const rateHeaders = await rateLimit(request, path);
        const result = path === DEV_TOKENS_PATH ? await devToken(request) : await invoke(request, path, searchParams);
        send(request, response, { ...result, headers: { ...rateHeaders, ...result.headers } });
      } catch (error) {
        if (error instanceof GatewayError) {
          send(request, response, gatewayError(request, error));
          return;
        }
        options.onFault?.(error);
        send(
          request,
          response,
          gatewayError(request, new GatewayError(500, 'INTERNAL_ERROR', 'Internal server error')),
        );
      }
    })();
  });
  return listenOnLoopback(server, options.port);
}
