import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createCatalogTable } from '../../local/catalog-table';
import { localHandlerEnvironment } from '../../local/handler-environment';
import { type IdentityIssuer, startIdentityIssuer } from '../../local/identity-issuer';
import { startLocalS3 } from '../../local/local-s3';
import { freePort } from '../../local/ports';
import { RedisServer } from '../../local/redis-server';
import { createQueueWithDeadLetter, type QueueWithDeadLetter, startLocalSqs } from '../../local/sqs-server';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite');

export { freePort, RedisServer };

/** A queue on the local SQS server, with its dead-letter queue. */
export type LocalQueue = QueueWithDeadLetter;

export interface QueueOptions {
  /** Seconds a received message stays hidden. @default 30 */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before a message moves to the dead-letter queue. @default 3 */
  readonly maxReceiveCount?: number;
}

export interface LocalServers {
  readonly env: Record<string, string>;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly redis: RedisServer;
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
  const [dynamoPort, s3Port, redisPort] = [await freePort(), await freePort(), await freePort()];

  const dynamoServer = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => dynamoServer.listen(dynamoPort, '127.0.0.1', resolve));
  const tableName = 'catalog';
  const uploadBucket = 'uploads-bucket';
  const mediaBucket = 'media-bucket';
  const s3Server = await startLocalS3({
    port: s3Port,
    directory: join(directory, 's3'),
    buckets: [uploadBucket, mediaBucket],
  });
  const redis = new RedisServer(redisPort);
  await redis.start();
  const identity = await startIdentityIssuer();
  const sqsServer = await startLocalSqs(await freePort());

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
        valkey: `127.0.0.1:${redisPort}`,
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
      await s3Server.close();
      await new Promise<void>((resolve) => dynamoServer.close(() => resolve()));
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
