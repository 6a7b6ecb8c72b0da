import * as apigw from 'aws-cdk-lib/aws-apigateway';

/**
 * The stage's access log, one JSON object per request: who called what, the outcome, the
 * latencies, and what failed (integration, authorizer, WAF), with the X-Ray trace id to follow.
 */
export const ACCESS_LOG_FORMAT = apigw.AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    extendedRequestId: '$context.extendedRequestId',
    requestTime: '$context.requestTimeEpoch',
    ip: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    user: '$context.authorizer.claims.sub',
    method: '$context.httpMethod',
    resource: '$context.resourcePath',
    path: '$context.path',
    protocol: '$context.protocol',
    status: '$context.status',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integration.latency',
    integrationStatus: '$context.integration.status',
    integrationError: '$context.integration.error',
    authorizerError: '$context.authorizer.error',
    error: '$context.error.message',
    wafStatus: '$context.waf.status',
    xrayTraceId: '$context.xrayTraceId',
  }),
);
