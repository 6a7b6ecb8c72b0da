import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import { ApiError } from '../core/errors';
import { VideoIdSchema } from '../core/schemas';
import type { Caller } from '../core/video';
import { API_CORS } from './routes';

/**
 * The HTTP edge of the handlers: reading API Gateway proxy events safely and shaping responses.
 * Everything a caller sends is untrusted: every failure here is a 4xx in the documented shape.
 */

/** The largest body we read: a complete call listing 10,000 parts is about 600 KB. */
export const MAX_BODY_BYTES = 1024 * 1024;

export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {}))
    if (key.toLowerCase() === wanted && typeof value === 'string') return value;
  return undefined;
}

const describeIssues = (error: z.ZodError): string =>
  error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');

/** Parses and validates a JSON body. */
export function jsonBody<T>(event: APIGatewayProxyEvent, schema: z.ZodType<T>): T {
  const contentType = header(event, 'content-type');
  if (contentType !== undefined && !/^application\/json\s*(;|$)/i.test(contentType))
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
  const raw = event.body ?? '';
  if (Buffer.byteLength(raw) > (event.isBase64Encoded ? (MAX_BODY_BYTES * 4) / 3 + 4 : MAX_BODY_BYTES))
    throw new ApiError('PAYLOAD_TOO_LARGE', `The body is over ${MAX_BODY_BYTES} bytes.`);
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError('BAD_REQUEST', 'The body is not valid JSON.');
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw new ApiError('VALIDATION_FAILED', describeIssues(result.error));
  return result.data;
}

/** Validates the query string; a parameter sent twice is refused rather than guessed at. */
export function queryParameters<T>(event: APIGatewayProxyEvent, schema: z.ZodType<T>): T {
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {}))
    if (values && values.length > 1) throw new ApiError('VALIDATION_FAILED', `${name} is given more than once`);
  const result = schema.safeParse({ ...(event.queryStringParameters ?? {}) });
  if (!result.success) throw new ApiError('VALIDATION_FAILED', describeIssues(result.error));
  return result.data;
}

export function videoIdParameter(event: APIGatewayProxyEvent): string {
  const result = VideoIdSchema.safeParse(event.pathParameters?.id);
  if (!result.success) throw new ApiError('VALIDATION_FAILED', 'id: not a video id');
  return result.data;
}

/** The caller on routes behind API Gateway's Cognito authorizer, which put the claims in. */
export function authorizedCaller(event: APIGatewayProxyEvent): Caller {
  const sub = event.requestContext?.authorizer?.claims?.sub;
  if (typeof sub !== 'string' || sub.length === 0) throw new ApiError('UNAUTHORIZED', 'Sign in first.');
  return { userId: sub };
}

/**
 * The caller on the two routes without an authorizer: nobody if no token is sent, the token's
 * user if a valid one is, and 401 for a bad one, as on every other route.
 */
export async function optionalCaller(
  event: APIGatewayProxyEvent,
  verify: (token: string) => Promise<string | undefined>,
): Promise<Caller | undefined> {
  const authorization = header(event, 'authorization');
  if (authorization === undefined) return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization.trim());
  const token = match?.[1];
  if (token === undefined) throw new ApiError('UNAUTHORIZED', 'Authorization must be "Bearer <token>".');
  const sub = await verify(token);
  if (!sub) throw new ApiError('UNAUTHORIZED', 'The token is invalid or expired.');
  return { userId: sub };
}

export interface ResponseOptions {
  readonly allowedOrigins: readonly string[];
}

function baseHeaders(event: APIGatewayProxyEvent, options: ResponseOptions): Record<string, string> {
  const headers: Record<string, string> = {
    'Access-Control-Expose-Headers': API_CORS.exposeHeaders.join(', '),
    'X-Content-Type-Options': 'nosniff',
  };
  const origin = header(event, 'origin');
  if (options.allowedOrigins.includes('*')) headers['Access-Control-Allow-Origin'] = '*';
  else {
    headers.Vary = 'Origin';
    if (origin !== undefined && options.allowedOrigins.includes(origin))
      headers['Access-Control-Allow-Origin'] = origin;
  }
  return headers;
}

/** A strong validator of the representation. */
export const entityTag = (body: string): string =>
  `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;

function matchesIfNoneMatch(event: APIGatewayProxyEvent, etag: string): boolean {
  const condition = header(event, 'if-none-match');
  if (condition === undefined) return false;
  if (condition.trim() === '*') return true;
  return condition.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/**
 * A JSON answer. Reads (GET 200) carry an ETag and answer 304 to a matching If-None-Match;
 * they may be kept by the caller but must be revalidated. Everything else is not stored.
 */
export function jsonResponse(
  event: APIGatewayProxyEvent,
  options: ResponseOptions,
  statusCode: number,
  payload: unknown,
): APIGatewayProxyResult {
  const body = JSON.stringify(payload);
  const headers = { ...baseHeaders(event, options), 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };
  if (event.httpMethod === 'GET' && statusCode === 200) {
    const etag = entityTag(body);
    const readHeaders = { ...headers, ETag: etag, 'Cache-Control': 'private, no-cache' };
    if (matchesIfNoneMatch(event, etag)) return { statusCode: 304, headers: readHeaders, body: '' };
    return { statusCode, headers: readHeaders, body };
  }
  return { statusCode, headers, body };
}

export function noContent(event: APIGatewayProxyEvent, options: ResponseOptions): APIGatewayProxyResult {
  return { statusCode: 204, headers: { ...baseHeaders(event, options), 'Cache-Control': 'no-store' }, body: '' };
}

export function errorResponse(
  event: APIGatewayProxyEvent,
  options: ResponseOptions,
  status: number,
  code: string,
  message: string,
): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { ...baseHeaders(event, options), 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    body: JSON.stringify({ error: { code, message } }),
  };
}
