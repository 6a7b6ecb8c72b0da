import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { keyValueStoreKey, type SigningKey } from '../../lambda/core/playback-token';
import { DEFAULT_CONFIG } from '../../lib/config';
import { type EdgeServer, type EdgeServerOptions, startEdgeServer } from '../edge-server';
import { TokenBucketLimiter } from '../token-bucket';
import type { LocalServers } from './local-servers';

/**
 * The twin's edge on a free loopback port, over the local servers' media bucket, trusting tokens
 * signed with `key`, with a rate rule of its own (so that tests do not share a bucket) and the
 * deployed TTLs; `overrides` win.
 */
export function startTestEdge(
  servers: LocalServers,
  redis: Redis,
  key: SigningKey,
  overrides: Partial<EdgeServerOptions> = {},
): Promise<EdgeServer> {
  const keyValueStore = new Map([[keyValueStoreKey(key.keyId), key.secret]]);
  return startEdgeServer({
    port: 0,
    s3: servers.s3,
    mediaBucket: servers.mediaBucket,
    signingKeys: { get: (name) => keyValueStore.get(name) },
    limiter: new TokenBucketLimiter(redis),
    rateRule: { name: `edge-test-${randomUUID()}`, limit: 10_000, windowSeconds: 60 },
    manifestTtlSeconds: DEFAULT_CONFIG.manifestTtlSeconds,
    mediaTtlSeconds: DEFAULT_CONFIG.mediaTtlSeconds,
    allowedOrigins: ['*'],
    ...overrides,
  });
}
