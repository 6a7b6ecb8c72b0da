import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import Redis from 'ioredis';
import { DEPENDENCY_TIMEOUTS } from '../lambda/adapters/dependency-outage';
import { DynamoDbCatalog } from '../lambda/adapters/dynamodb-catalog';
import { JwtVerifier } from '../lambda/adapters/jwt-verifier';
import { MediaInfoProbe } from '../lambda/adapters/media-info-probe';
import { createS3Client, S3ObjectStore } from '../lambda/adapters/s3-object-store';
import { createTelemetry } from '../lambda/adapters/telemetry';
import { API_ROUTES, CATALOG_SCHEMA } from '../lambda/api/routes';
import { keyValueStoreKey, type SigningKey } from '../lambda/core/playback-token';
import type { PipelineOutcome } from '../lambda/core/transcoding';
import { WEBHOOK_DELIVERY, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY } from '../lambda/notify/retry-schedule';
import {
  PIPELINE_TELEMETRY,
  SOURCE_NOTIFICATION_FILTER,
  SUBMIT_LIMITS,
  UPLOAD_QUEUE_VISIBILITY_SECONDS,
} from '../lambda/transcode/environment';
import type { MediaConvertJobStateEvent } from '../lambda/transcode/job-state-event';
import { createUploadConsumer } from '../lambda/transcode/upload-consumer';
import type { PlatformConfig } from '../lib/config';
import { type ProxyHandler, scriptModules, startApiServer } from './api-server';
import { createCatalogTable } from './catalog-table';
import { startEdgeServer } from './edge-server';
import { localHandlerEnvironment } from './handler-environment';
import { createLocalIdentity, type IdentityKey, newIdentityKey } from './identity-issuer';
import { listenOnLoopback, portInUse } from './ports';
import { RedisServer } from './redis-server';
import { s3Notification } from './s3-notifications';
import { startLocalS3Process } from './s3-server-process';
import { SqsEventSource } from './sqs-event-source';
import { createQueueWithDeadLetter, startLocalSqs } from './sqs-server';
import { TokenBucketLimiter } from './token-bucket';
import { FfmpegTranscoder } from './transcoder/ffmpeg-transcoder';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite');

/**
 * The local twin: the whole platform on one machine, on loopback. It starts the local servers
 * (DynamoDB, S3, SQS, Valkey), points the very same handlers at them through their environment,
 * and puts in front of them what AWS runs around them: API Gateway with its authorizer and web
 * ACL (api-server.ts), CloudFront with its function and web ACL (edge-server.ts), S3's event
 * notifications, Lambda's queue pollers, EventBridge's rule, and MediaConvert (ffmpeg).
 */

export interface TwinOptions {
  /** The API and the web page. */
  readonly apiPort: number;
  /** The CDN edge. */
  readonly cdnPort: number;
  /** Where the catalog, the objects and the keys are kept across restarts. */
  readonly dataDirectory: string;
  /** The same settings `cdk deploy` uses (rate limits, TTLs, upload limits). */
  readonly config: PlatformConfig;
  /** Where signed webhook events go. @default - no webhooks */
  readonly webhookUrl?: string;
  /** Powertools' log level for the handlers. @default 'WARN' */
  readonly handlerLogLevel?: string;
  /** One line per pipeline step and fault. */
  readonly log: (line: string) => void;
}

export interface Twin {
  readonly apiUrl: string;
  readonly cdnUrl: string;
  /** Every server, by what it stands in for. */
  readonly endpoints: Readonly<Record<string, string>>;
  /** Where the webhook signing secret is kept, when webhooks are on. */
  readonly webhookSecret?: string;
  close(): Promise<void>;
}

/** Something the user can fix: a taken port, a missing tool. */
export class TwinStartError extends Error {
  override name = 'TwinStartError';
}

/** The twin's own keys, made at the first start and kept, so tokens stay valid across restarts. */
interface TwinState {
  readonly identityKey: IdentityKey;
  readonly signingKey: SigningKey;
  readonly webhookSecret: string;
}

const TABLE_NAME = 'vod-catalog';
const UPLOAD_BUCKET = 'vod-uploads';
const MEDIA_BUCKET = 'vod-media';
/** s3rver checks signatures against these credentials. */
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
/** EventBridge invokes a Lambda target asynchronously: two retries, then the dead-letter queue. */
const JOB_EVENT_ATTEMPTS = 3;

function loadState(dataDirectory: string): TwinState {
  const file = join(dataDirectory, 'state.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as TwinState;
  const state: TwinState = {
    identityKey: newIdentityKey(),
    signingKey: { keyId: 'local1', secret: randomBytes(32).toString('base64url') },
    webhookSecret: randomBytes(32).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(state, null, 2), { mode: 0o600 });
  return state;
}

async function assertPortsFree(ports: Record<string, number>): Promise<void> {
  for (const [variable, port] of Object.entries(ports)) {
    const error = await portInUse(port);
    if (!error) continue;
    const why = error.code === 'EADDRINUSE' ? 'is already in use by another program' : `cannot be used (${error.code})`;
    throw new TwinStartError(
      `Port ${port} (${variable}) ${why}. Stop that program, or choose another port: ${variable}=<port> npm start`,
    );
  }
}

export async function startTwin(options: TwinOptions): Promise<Twin> {
  const { config, dataDirectory, log } = options;
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => undefined);
  };

  try {
    await assertPortsFree({ API_PORT: options.apiPort, CDN_PORT: options.cdnPort });
    mkdirSync(join(dataDirectory, 'dynamodb'), { recursive: true });
    mkdirSync(join(dataDirectory, 's3'), { recursive: true });
    const state = loadState(dataDirectory);
    const apiUrl = `http://127.0.0.1:${options.apiPort}`;
    const cdnUrl = `http://127.0.0.1:${options.cdnPort}`;
    // The twin's own page must reach the upload endpoint and the edge whatever origins the
    // deployed settings allow.
    const allowedOrigins = config.allowedOrigins.includes('*') ? ['*'] : [...config.allowedOrigins, apiUrl];
    const region = config.region;

    // The local servers. Each listens on a port the system picks at the bind, so no other
    // program can take it meanwhile (redis-server cannot, and retries instead). S3 and SQS run in
    // processes of their own, started first since they take longest.
    const s3Starting = startLocalS3Process({
      port: 0,
      directory: join(dataDirectory, 's3'),
      buckets: [UPLOAD_BUCKET, MEDIA_BUCKET],
      uploadBuckets: { names: [UPLOAD_BUCKET], allowedOrigins },
    });
    closers.push(async () => (await s3Starting).close());
    const sqsStarting = startLocalSqs(0);
    closers.push(async () => (await sqsStarting).close());
    const dynamoServer = dynalite({ path: join(dataDirectory, 'dynamodb'), createTableMs: 0, deleteTableMs: 0 });
    const dynamo = await listenOnLoopback(dynamoServer, 0);
    closers.push(() => dynamo.close());
    const redis = await RedisServer.startOnFreePort();
    closers.push(() => redis.stop());
    const [s3Server, sqsServer] = await Promise.all([s3Starting, sqsStarting]);

    const endpoints = {
      dynamodb: dynamo.url,
      s3: s3Server.endpoint,
      sqs: sqsServer.endpoint,
      valkey: `127.0.0.1:${redis.port}`,
    };
    const dynamodbClient = new DynamoDBClient({ region, credentials: LOCAL_CREDENTIALS, endpoint: endpoints.dynamodb });
    closers.push(async () => dynamodbClient.destroy());
    await createCatalogTable(dynamodbClient, TABLE_NAME);
    const sqs = new SQSClient({ region, credentials: LOCAL_CREDENTIALS, endpoint: endpoints.sqs });
    closers.push(async () => sqs.destroy());
    const uploadQueue = await createQueueWithDeadLetter(sqs, 'vod-uploads', {
      visibilityTimeoutSeconds: UPLOAD_QUEUE_VISIBILITY_SECONDS,
      maxReceiveCount: SUBMIT_LIMITS.maxReceiveCount,
    });
    const webhookQueue = options.webhookUrl
      ? await createQueueWithDeadLetter(sqs, 'vod-webhooks', {
          visibilityTimeoutSeconds: WEBHOOK_RETRY.queueVisibilityTimeoutSeconds,
          maxReceiveCount: WEBHOOK_MAX_ATTEMPTS,
        })
      : undefined;

    // The handlers read their settings from the environment, as in Lambda; the constructs set
    // the same variables in AWS, through the same writers.
    const identity = createLocalIdentity(`${apiUrl}/local-user-pool`, state.identityKey);
    Object.assign(process.env, {
      ...localHandlerEnvironment({
        region,
        credentials: LOCAL_CREDENTIALS,
        endpoints,
        tableName: TABLE_NAME,
        uploadBucket: UPLOAD_BUCKET,
        mediaBucket: MEDIA_BUCKET,
        cdnBaseUrl: cdnUrl,
        signingKey: state.signingKey,
        identity,
        maxUploadBytes: config.maxUploadBytes,
        allowedContentTypes: config.allowedContentTypes,
        uploadUrlTtlSeconds: config.uploadUrlTtlSeconds,
        publicPlaybackTtlSeconds: config.publicPlaybackTtlSeconds,
        privatePlaybackTtlSeconds: config.privatePlaybackTtlSeconds,
        cacheTtlSeconds: config.metadataCacheTtlSeconds,
        allowedOrigins,
        logLevel: options.handlerLogLevel ?? 'WARN',
        webhooks:
          webhookQueue && options.webhookUrl
            ? { url: options.webhookUrl, secret: state.webhookSecret, queueUrl: webhookQueue.url }
            : undefined,
      }),
    });

    const handlers: Record<string, ProxyHandler> = {};
    for (const route of API_ROUTES) {
      handlers[route.operationId] = (
        (await import(`../lambda/api/${route.handlerFile}`)) as { handler: ProxyHandler }
      ).handler;
    }
    const jobStateHandler = (
      (await import('../lambda/transcode/job-state-change')) as {
        handler: (event: unknown) => Promise<PipelineOutcome | undefined>;
      }
    ).handler;

    // The pipeline: S3 notifies the upload queue, the queue drives the same consumer as in AWS,
    // ffmpeg stands in for MediaConvert and its job events go to the same job-state handler.
    const s3 = createS3Client({ forcePathStyle: true });
    closers.push(async () => s3.destroy());
    const telemetry = createTelemetry(PIPELINE_TELEMETRY);
    const deliverJobEvent = async (event: MediaConvertJobStateEvent): Promise<void> => {
      for (let attempt = 1; attempt <= JOB_EVENT_ATTEMPTS; attempt++) {
        try {
          const outcome = await jobStateHandler(event);
          if (outcome?.result === 'updated') log(`video ${outcome.videoId}: ${outcome.status}`);
          return;
        } catch (error) {
          if (attempt === JOB_EVENT_ATTEMPTS) log(`job ${event.detail.jobId}: the job-state handler failed: ${error}`);
          else await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
        }
      }
    };
    const transcoder = new FfmpegTranscoder({
      s3,
      uploadBucket: UPLOAD_BUCKET,
      mediaBucket: MEDIA_BUCKET,
      workDirectory: join(dataDirectory, 'work'),
      journalDirectory: join(dataDirectory, 'jobs'),
      onJobEvent: deliverJobEvent,
      onError: (error) => log(`transcoder: ${error}`),
    });
    closers.push(() => transcoder.close());
    mkdirSync(join(dataDirectory, 'work'), { recursive: true });
    // Jobs accepted before the last stop run again, under the job ids the catalog recorded.
    for (const job of await transcoder.resume()) log(`video ${job.videoId}: transcoding again (job ${job.jobId})`);
    const consumer = createUploadConsumer({
      uploadBucket: UPLOAD_BUCKET,
      telemetry,
      deps: {
        catalog: new DynamoDbCatalog(new DynamoDBClient({ requestHandler: { ...DEPENDENCY_TIMEOUTS } }), {
          tableName: TABLE_NAME,
          ownerIndexName: CATALOG_SCHEMA.ownerIndexName,
        }),
        clock: { now: () => new Date() },
        probe: new MediaInfoProbe(new S3ObjectStore(s3, UPLOAD_BUCKET)),
        transcoder: {
          submit: async (request) => {
            const job = await transcoder.submit(request);
            log(`video ${request.videoId}: transcoding (job ${job.jobId})`);
            return job;
          },
        },
      },
    });
    s3Server.onObjectCreated((object) => {
      const { prefix, suffix } = SOURCE_NOTIFICATION_FILTER;
      if (object.bucket !== UPLOAD_BUCKET || !object.key.startsWith(prefix) || !object.key.endsWith(suffix)) return;
      const body = s3Notification({ ...object, region });
      sqs.send(new SendMessageCommand({ QueueUrl: uploadQueue.url, MessageBody: body })).catch((error) => {
        log(`S3 notification for ${object.key} lost: ${error}`);
      });
    });
    const sources = [
      new SqsEventSource({
        client: sqs,
        queueUrl: uploadQueue.url,
        handler: consumer,
        batchSize: SUBMIT_LIMITS.batchSize,
      }),
    ];
    if (webhookQueue) {
      const deliver = (
        (await import('../lambda/notify/deliver-webhooks')) as {
          handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
        }
      ).handler;
      sources.push(
        new SqsEventSource({
          client: sqs,
          queueUrl: webhookQueue.url,
          handler: deliver,
          batchSize: WEBHOOK_DELIVERY.batchSize,
        }),
      );
    }
    for (const source of sources) {
      source.start();
      closers.push(() => source.stop());
    }

    // The web ACLs' rate rules share one Redis, as WAF shares its counters across the edge.
    // Fails fast while Redis is down (the limiter then lets requests through) and reconnects.
    const limiterConnection = new Redis({
      host: '127.0.0.1',
      port: redis.port,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 200,
    });
    limiterConnection.on('error', () => undefined);
    closers.push(async () => limiterConnection.disconnect());
    const limiter = new TokenBucketLimiter(limiterConnection, {
      onError: (error) => log(`rate limiter unavailable, letting requests through: ${error}`),
    });
    const windowSeconds = config.rateWindowSeconds;

    const edge = await startEdgeServer({
      port: options.cdnPort,
      s3,
      mediaBucket: MEDIA_BUCKET,
      signingKeys: {
        get: (key) => (key === keyValueStoreKey(state.signingKey.keyId) ? state.signingKey.secret : undefined),
      },
      limiter,
      rateRule: { name: 'CdnRateLimitPerIp', limit: config.cdnRateLimit, windowSeconds },
      manifestTtlSeconds: config.manifestTtlSeconds,
      mediaTtlSeconds: config.mediaTtlSeconds,
      allowedOrigins,
      onFault: (error) => log(`edge fault: ${error}`),
    });
    closers.push(() => edge.close());

    const verifier = new JwtVerifier(identity);
    const web = join(__dirname, 'web');
    const api = await startApiServer({
      port: options.apiPort,
      routes: API_ROUTES,
      handlers,
      identity,
      verifyToken: (token) => verifier.verify(token),
      limiter,
      rateRules: {
        perIp: { name: 'RateLimitPerIp', limit: config.apiRateLimit, windowSeconds },
        uploadCreation: { name: 'UploadCreationPerIp', limit: config.uploadCreationRateLimit, windowSeconds },
      },
      allowedOrigins,
      staticFiles: {
        '/': { path: join(web, 'index.html'), contentType: 'text/html; charset=utf-8' },
        ...scriptModules(web),
        '/styles.css': { path: join(web, 'styles.css'), contentType: 'text/css; charset=utf-8' },
        '/vendor/hls.min.js': {
          path: require.resolve('hls.js/dist/hls.min.js'),
          contentType: 'text/javascript; charset=utf-8',
        },
      },
      contentSecurityPolicy: [
        "default-src 'self'",
        `connect-src 'self' ${cdnUrl} ${endpoints.s3}`,
        `media-src 'self' blob: ${cdnUrl}`,
        `img-src 'self' data: ${cdnUrl}`,
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ].join('; '),
      onFault: (error) => log(`API fault: ${error instanceof Error ? (error.stack ?? error.message) : error}`),
    });
    closers.push(() => api.close());

    return {
      apiUrl,
      cdnUrl,
      endpoints: { api: apiUrl, cdn: cdnUrl, ...endpoints },
      webhookSecret: webhookQueue ? state.webhookSecret : undefined,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
