import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createCatalogTable } from '../catalog-table';
import { localHandlerEnvironment } from '../handler-environment';
import { type IdentityIssuer, startIdentityIssuer } from '../identity-issuer';
import { type LocalS3, startLocalS3 } from '../local-s3';
import { freePort, listenOnLoopback, reusablePort } from '../ports';
import { RedisServer } from '../redis-server';
import { createQueueWithDeadLetter, type QueueWithDeadLetter, startLocalSqs } from '../sqs-server';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite');

export { freePort, RedisServer, reusablePort };

/** A queue on the local SQS server, with its dead-letter queue. */
export type LocalQueue = QueueWithDeadLetter;

export interface QueueOptions {
  /** Seconds a received message stays hidden. @default 30 */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before a message moves to the dead-letter queue. @default 3 */
  readonly maxReceiveCount?: number;
}

/** A local server that can be stopped, as an outage would, and started again where it was. */
export interface RestartableServer {
  /** Stops listening; callers get their connections refused. Data is kept. */
  stop(): Promise<void>;
  /** Listens again on the same port, with the data it had. */
  start(): Promise<void>;
}

export interface LocalServers {
  readonly env: Record<string, string>;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly redis: RedisServer;
  /** The S3-compatible server (objects on disk). */
  readonly s3Server: RestartableServer;
  /** The DynamoDB-compatible server (tables on disk). */
  readonly dynamoServer: RestartableServer;
  readonly identity: IdentityIssuer;
  readonly tableName: string;
  readonly uploadBucket: string;
  readonly mediaBucket: string;
  /** Creates a queue and its dead-letter queue (`<name>-dlq`) with a redrive policy. */
  createQueue(name: string, options?: QueueOptions): Promise<LocalQueue>;
  stop(): Promise<void>;
}

export const TEST_SIGNING_KEY = { keyId: 'test1', secret: 'a-test-secret-that-is-long-enough-0123456789' };
export const TEST_CDN = 'https://cdn.example.test';

/**
 * Starts dynalite, s3rver, redis-server and a local identity issuer on free loopback ports,
 * creates the catalog table and both buckets, and returns the environment the API handlers read.
 */
export async function startLocalServers(overrides: Record<string, string> = {}): Promise<LocalServers> {
  const directory = mkdtempSync(join(tmpdir(), 'vod-local-'));
  // Ports are picked by the system at the first bind, so no other process can take them
  // meanwhile; a restart binds the same port again, as a restarted server would.
  // On disk, so that it keeps its tables across a stop and a start (dynalite reopens its store).
  const dynamo = dynalite({ path: join(directory, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  let dynamoPort = 0;
  let dynamoListening = false;
  const dynamoServer: RestartableServer = {
    async start() {
      if (dynamoListening) return;
      dynamoPort = (await listenOnLoopback(dynamo, dynamoPort)).port;
      dynamoListening = true;
    },
    async stop() {
      if (!dynamoListening) return;
      dynamoListening = false;
      // Cut the SDK's kept-alive connections too, as a crash would.
      dynamo.closeAllConnections?.();
      await new Promise<void>((resolve, reject) =>
        dynamo.close((error?: Error) => (error ? reject(error) : resolve())),
      );
    },
  };
  await dynamoServer.start();
  const tableName = 'catalog';
  const uploadBucket = 'uploads-bucket';
  const mediaBucket = 'media-bucket';
  const s3Options = { port: 0, directory: join(directory, 's3'), buckets: [uploadBucket, mediaBucket] };
  let s3Running: LocalS3 | undefined = await startLocalS3(s3Options);
  const s3Port = s3Running.port;
  const s3Server: RestartableServer = {
    async start() {
      s3Running ??= await startLocalS3({ ...s3Options, port: s3Port });
    },
    async stop() {
      const running = s3Running;
      s3Running = undefined;
      await running?.close();
    },
  };
  const redis = await RedisServer.startOnFreePort();
  const identity = await startIdentityIssuer();
  const sqsServer = await startLocalSqs(0);

  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const region = 'eu-west-1';
  const dynamodb = new DynamoDBClient({ region, credentials, endpoint: `http://127.0.0.1:${dynamoPort}` });
  const s3 = new S3Client({
    region,
    credentials,
    endpoint: `http://127.0.0.1:${s3Port}`,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const sqs = new SQSClient({ region, credentials, endpoint: sqsServer.endpoint });
  const createQueue = (name: string, options: QueueOptions = {}): Promise<LocalQueue> =>
    createQueueWithDeadLetter(sqs, name, {
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
      maxReceiveCount: options.maxReceiveCount ?? 3,
    });
  await createCatalogTable(dynamodb, tableName);

  const env: Record<string, string> = {
    ...localHandlerEnvironment({
      region,
      credentials,
      endpoints: {
        dynamodb: `http://127.0.0.1:${dynamoPort}`,
        s3: `http://127.0.0.1:${s3Port}`,
        sqs: sqsServer.endpoint,
        valkey: `127.0.0.1:${redis.port}`,
      },
      tableName,
      uploadBucket,
      mediaBucket,
      cdnBaseUrl: TEST_CDN,
      signingKey: TEST_SIGNING_KEY,
      identity,
      maxUploadBytes: 50 * 1024 ** 3,
      allowedContentTypes: ['video/mp4', 'video/quicktime', 'video/webm'],
      uploadUrlTtlSeconds: 900,
      publicPlaybackTtlSeconds: 86_400,
      privatePlaybackTtlSeconds: 3600,
      cacheTtlSeconds: 300,
      allowedOrigins: ['*'],
      logLevel: 'CRITICAL',
    }),
    ...overrides,
  };

  return {
    env,
    dynamodb,
    s3,
    sqs,
    redis,
    s3Server,
    dynamoServer,
    identity,
    tableName,
    uploadBucket,
    mediaBucket,
    createQueue,
    async stop() {
      dynamodb.destroy();
      s3.destroy();
      sqs.destroy();
      await sqsServer.close();
      await identity.close();
      await redis.stop();
      await s3Server.stop();
      await dynamoServer.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
