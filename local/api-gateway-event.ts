import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface ProxyRequest {
  readonly method: string;
  /** The route's resource, e.g. `/videos/{id}`. */
  readonly resource: string;
  /** The concrete path, e.g. `/videos/abc`. */
  readonly path: string;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string | string[]>;
  readonly headers?: Record<string, string>;
  readonly body?: string | null;
  /** Claims that API Gateway's Cognito authorizer would pass on, for authorized routes. */
  readonly claims?: Record<string, string>;
}

/**
 * An API Gateway REST proxy event, shaped as API Gateway builds it, so that the handlers run
 * unchanged in the local twin and in tests.
 */
export function proxyEvent(request: ProxyRequest): APIGatewayProxyEvent {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(request.query ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    multi[name] = values;
    single[name] = values[values.length - 1] ?? '';
  }
  const hasQuery = Object.keys(single).length > 0;
  const headers = request.headers ?? {};
  return {
    resource: request.resource,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: hasQuery ? single : null,
    multiValueQueryStringParameters: hasQuery ? multi : null,
    pathParameters: request.pathParameters ?? null,
    stageVariables: null,
    body: request.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: request.claims ? { claims: request.claims } : null,
      protocol: 'HTTP/1.1',
      httpMethod: request.method,
      identity: { sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? null } as never,
      path: request.path,
      stage: 'v1',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: request.resource,
    },
  };
}
