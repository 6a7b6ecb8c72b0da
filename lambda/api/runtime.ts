import { randomBytes } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  DEPENDENCY_RETRY_AFTER_SECONDS,
  DEPENDENCY_TIMEOUTS,
  isDependencyUnavailable,
} from '../adapters/dependency-outage';
import { DynamoDbCatalog } from '../adapters/dynamodb-catalog';
import { JwtVerifier } from '../adapters/jwt-verifier';
import { lazy } from '../adapters/lazy';
import { createS3Client, S3ObjectStore } from '../adapters/s3-object-store';
import { SecretsManagerSigningKeys, StaticSigningKeys } from '../adapters/signing-keys';
import { createSqsClient, SqsNotifier } from '../adapters/sqs-notifier';
import { createTelemetry } from '../adapters/telemetry';
import { ValkeyCache } from '../adapters/valkey-cache';
import { ApiError } from '../core/errors';
import type { CoreDeps } from '../core/ports';
import { errorResponse, type ResponseOptions } from './http';
import { API_TELEMETRY } from './routes';
import { readSettings } from './settings';

/**
 * Everything a handler container keeps between invocations: settings, AWS SDK clients, the one
 * Valkey connection, Powertools' logger, metrics and tracer, and the core's ports. Built once,
 * at module load (outside the handler), by the first handler module imported.
 */
export interface ApiRuntime {
  readonly deps: CoreDeps;
  readonly responses: ResponseOptions;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  readonly cache: ValkeyCache;
  /** The user id of a valid bearer token, or `undefined`. */
  verifyToken(token: string): Promise<string | undefined>;
  /** Wraps a route's logic: logging context, metrics, tracing, and errors as documented responses. */
  handle(
    operationId: string,
    logic: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>,
  ): (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;
}

export function createApiRuntime(env: NodeJS.ProcessEnv = process.env): ApiRuntime {
  const settings = readSettings(env);
  const { logger, metrics, tracer, count } = createTelemetry(API_TELEMETRY, env);

  const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient({ requestHandler: { ...DEPENDENCY_TIMEOUTS } }));
  // Built on first use: most requests never reach S3, Secrets Manager or the webhook queue.
  const s3 = lazy(() => tracer.captureAWSv3Client(createS3Client({ forcePathStyle: settings.s3ForcePathStyle })));
  const cache = new ValkeyCache({
    endpoint: settings.cacheEndpoint,
    tls: settings.cacheTls,
    onError: (error) => logger.debug('cache connection error', { error: error.message }),
  });
  const signingKeys = settings.signingKeySecretArn
    ? new SecretsManagerSigningKeys(
        settings.signingKeySecretArn,
        lazy(() => tracer.captureAWSv3Client(new SecretsManagerClient({ requestHandler: { ...DEPENDENCY_TIMEOUTS } }))),
      )
    : new StaticSigningKeys(JSON.parse(settings.staticSigningKey ?? '{}'));
  const verifier = new JwtVerifier(settings.jwt);

  const deps: CoreDeps = {
    catalog: new DynamoDbCatalog(dynamodb, { tableName: settings.tableName, ownerIndexName: settings.ownerIndexName }),
    cache,
    uploads: new S3ObjectStore(s3, settings.uploadBucket),
    media: new S3ObjectStore(s3, settings.mediaBucket),
    signingKeys,
    clock: { now: () => new Date() },
    ids: { newVideoId: () => randomBytes(12).toString('base64url') },
    policy: settings.policy,
    notifier: settings.webhookQueueUrl
      ? new SqsNotifier(
          lazy(() => tracer.captureAWSv3Client(createSqsClient())),
          settings.webhookQueueUrl,
        )
      : undefined,
    onCacheOutcome: (outcome) =>
      count(outcome === 'hit' ? 'CacheHit' : outcome === 'miss' ? 'CacheMiss' : 'CacheError'),
    onCacheWriteFailure: (error) => {
      count('CacheWriteFailure');
      logger.warn('cache write failed; the entry lives until its TTL', { error: String(error) });
    },
  };
  const responses: ResponseOptions = { allowedOrigins: settings.allowedOrigins };

  return {
    deps,
    responses,
    logger,
    metrics,
    tracer,
    cache,
    verifyToken: (token) => verifier.verify(token),
    handle: (operationId, logic) => async (event, context) => {
      if (context) logger.addContext(context);
      // Every line of this request names it and, on the video routes, the video: what an operator
      // greps for. The id is the path parameter as sent, cut to the longest valid id.
      const videoId = event.pathParameters?.id?.slice(0, 64);
      logger.appendKeys({ operationId, requestId: event.requestContext?.requestId, videoId });
      metrics.captureColdStartMetric();
      tracer.putAnnotation('operationId', operationId);
      if (videoId) tracer.putAnnotation('videoId', videoId);
      try {
        return await logic(event);
      } catch (error) {
        if (error instanceof ApiError) return errorResponse(event, responses, error.status, error.code, error.message);
        if (isDependencyUnavailable(error)) {
          // Not a bug: S3 or DynamoDB is down or throttling. The use cases leave nothing half-written,
          // so the caller may simply send the same request again once it is back.
          logger.warn('a dependency is unavailable', { error: describe(error) });
          count('DependencyUnavailable');
          const response = errorResponse(
            event,
            responses,
            503,
            'SERVICE_UNAVAILABLE',
            'A service we depend on is unavailable; nothing was changed, retry shortly.',
          );
          return {
            ...response,
            headers: { ...response.headers, 'Retry-After': String(DEPENDENCY_RETRY_AFTER_SECONDS) },
          };
        }
        logger.error('unhandled fault', error as Error);
        count('ServerFault');
        return errorResponse(event, responses, 500, 'INTERNAL_ERROR', 'Something failed on our side; try again.');
      } finally {
        logger.removeKeys(['requestId', 'videoId']);
        // Not every request counts something; publishing nothing only logs a warning.
        if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      }
    },
  };
}

/** What a log line needs of an SDK error: never its request, which may hold signed URLs. */
function describe(error: unknown): Record<string, unknown> {
  const { name, code, message, $metadata } = error as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number; attempts?: number };
  };
  return { name, code, message, httpStatusCode: $metadata?.httpStatusCode, attempts: $metadata?.attempts };
}

let shared: ApiRuntime | undefined;
/** The container's runtime, built on first use: every handler module calls this at load. */
export function sharedRuntime(): ApiRuntime {
  shared ??= createApiRuntime();
  return shared;
}
