import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { API_CORS } from '../../lambda/api/routes';

/** API Gateway's own error responses, in the API's error shape `{"error":{"code","message"}}`. */
export const GATEWAY_ERRORS: readonly {
  readonly type: apigw.ResponseType;
  readonly code: string;
  /** Overrides API Gateway's status. */
  readonly statusCode?: string;
  /** A fixed message (a JSON string) instead of API Gateway's own. */
  readonly message?: string;
  readonly headers?: Readonly<Record<string, string>>;
}[] = [
  { type: apigw.ResponseType.DEFAULT_4XX, code: 'BAD_REQUEST' },
  { type: apigw.ResponseType.DEFAULT_5XX, code: 'INTERNAL_ERROR' },
  { type: apigw.ResponseType.UNAUTHORIZED, code: 'UNAUTHORIZED' },
  { type: apigw.ResponseType.ACCESS_DENIED, code: 'FORBIDDEN' },
  // Stage and method throttles refill every second.
  { type: apigw.ResponseType.THROTTLED, code: 'RATE_LIMITED', headers: { 'Retry-After': "'1'" } },
  { type: apigw.ResponseType.BAD_REQUEST_BODY, code: 'VALIDATION_FAILED' },
  { type: apigw.ResponseType.BAD_REQUEST_PARAMETERS, code: 'VALIDATION_FAILED' },
  // API Gateway answers an unknown path or method with 403 "Missing Authentication Token".
  {
    type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    code: 'NOT_FOUND',
    statusCode: '404',
    message: '"No such route."',
  },
  { type: apigw.ResponseType.REQUEST_TOO_LARGE, code: 'PAYLOAD_TOO_LARGE' },
  { type: apigw.ResponseType.WAF_FILTERED, code: 'FORBIDDEN' },
];

/**
 * Answers API Gateway's own errors in the API's error shape, with the CORS headers a browser needs
 * to read them.
 */
export function addGatewayResponses(api: apigw.RestApi, allowedOrigins: readonly string[]): void {
  const corsOrigin = allowedOrigins.length === 1 ? `'${allowedOrigins[0]}'` : 'method.request.header.origin';
  for (const error of GATEWAY_ERRORS) {
    api.addGatewayResponse(`${error.type.responseType}Response`, {
      type: error.type,
      statusCode: error.statusCode,
      responseHeaders: {
        // With several origins, API Gateway cannot pick among them: it echoes the caller's,
        // which lets any page read these error bodies (they hold no user data).
        'Access-Control-Allow-Origin': corsOrigin,
        'Access-Control-Expose-Headers': `'${API_CORS.exposeHeaders.join(', ')}'`,
        ...(allowedOrigins.length === 1 ? {} : { Vary: "'Origin'" }),
        ...error.headers,
      },
      templates: {
        'application/json': `{"error":{"code":"${error.code}","message":${error.message ?? '$context.error.messageString'}}}`,
      },
    });
  }
}
