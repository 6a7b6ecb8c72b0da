import Redis from 'ioredis';
import { freePort, RedisServer } from '../../local/harness/local-servers';
import { type RateDecision, type RateRule, rateLimitHeaders, TokenBucketLimiter } from '../../local/token-bucket';
import { failFastClient } from '../support/redis-clients';

let server: RedisServer;
let redis: Redis;
/** Each test gets its own prefix, so buckets never carry over between tests. */
let testNumber = 0;
const newLimiter = (options: { onError?: (error: unknown) => void } = {}) =>
  new TokenBucketLimiter(redis, { keyPrefix: `rate-test-${++testNumber}:`, ...options });

beforeAll(async () => {
  server = await RedisServer.startOnFreePort();
  redis = await failFastClient(server.port);
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const takeMany = (limiter: TokenBucketLimiter, rule: RateRule, client: string, count: number) =>
  Promise.all(Array.from({ length: count }, () => limiter.take(rule, client)));
const allowedCount = (decisions: readonly RateDecision[]) => decisions.filter((decision) => decision.allowed).length;

describe('the token bucket rate limiter', () => {
  it('allows exactly the limit of a burst, then denies with a Retry-After', async () => {
    const limiter = newLimiter();
    const rule = { name: 'burst', limit: 5, windowSeconds: 60 };

    const decisions: RateDecision[] = [];
    for (let i = 0; i < 7; i++) decisions.push(await limiter.take(rule, '192.0.2.1'));

    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(decisions.slice(0, 5).map((decision) => decision.remaining)).toEqual([4, 3, 2, 1, 0]);
    const denied = decisions[5] as RateDecision;
    expect(denied.remaining).toBe(0);
    // One token comes back every 60 / 5 = 12 s.
    expect(denied.retryAfterSeconds).toBeGreaterThan(0);
    expect(denied.retryAfterSeconds).toBeLessThanOrEqual(12);
    expect(denied.resetSeconds).toBeGreaterThan(48);
    expect(denied.resetSeconds).toBeLessThanOrEqual(60);
  });

  it('allows exactly the limit of 50 concurrent takes, because the take is atomic', async () => {
    const limiter = newLimiter();
    const rule = { name: 'concurrent', limit: 20, windowSeconds: 600 };

    const decisions = await takeMany(limiter, rule, '192.0.2.2', 50);

    expect(allowedCount(decisions)).toBe(20);
  });

  it('counts each client and each rule in its own bucket', async () => {
    const limiter = newLimiter();
    const rule = { name: 'per-client', limit: 3, windowSeconds: 60 };
    const otherRule = { name: 'other-rule', limit: 3, windowSeconds: 60 };

    const first = await takeMany(limiter, rule, '192.0.2.3', 4);
    const secondClient = await takeMany(limiter, rule, '2001:db8::3', 4);
    const secondRule = await takeMany(limiter, otherRule, '192.0.2.3', 4);

    expect(allowedCount(first)).toBe(3);
    expect(allowedCount(secondClient)).toBe(3);
    expect(allowedCount(secondRule)).toBe(3);
  });

  it('gives tokens back over time, at limit per window', async () => {
    const limiter = newLimiter();
    const rule = { name: 'refill', limit: 10, windowSeconds: 1 };
    const burstStarted = Date.now();
    await takeMany(limiter, rule, '192.0.2.4', 10);

    await pause(300);
    const after = await takeMany(limiter, rule, '192.0.2.4', 10);
    const elapsedMs = Date.now() - burstStarted;

    // At least 300 ms at 10 tokens per second: 3 back (2 when the sum rounds just below), and no
    // more than the time since the burst began allows, however late the timer fired.
    expect(allowedCount(after)).toBeGreaterThanOrEqual(2);
    expect(allowedCount(after)).toBeLessThanOrEqual(Math.ceil(elapsedMs / 100));
  });

  it('keeps a bucket no longer than its window', async () => {
    const limiter = new TokenBucketLimiter(redis, { keyPrefix: 'rate-expiry:' });
    const rule = { name: 'expiry', limit: 10, windowSeconds: 30 };

    await limiter.take(rule, '192.0.2.5');
    const ttl = await redis.pttl('rate-expiry:expiry:192.0.2.5');

    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it('allows requests and reports the error while Redis is down', async () => {
    const downServer = await RedisServer.startOnFreePort();
    const port = downServer.port;
    const client = await failFastClient(port);
    const errors: unknown[] = [];
    const limiter = new TokenBucketLimiter(client, { onError: (error) => errors.push(error) });
    const rule = { name: 'outage', limit: 1, windowSeconds: 60 };
    await limiter.take(rule, '192.0.2.6');

    try {
      await downServer.stop();
      const decisions = await takeMany(limiter, rule, '192.0.2.6', 3);

      expect(decisions.every((decision) => decision.allowed)).toBe(true);
      expect(errors).toHaveLength(3);
    } finally {
      client.disconnect();
    }
  });

  it('fails open within its timeout when the client queues commands while Redis is down', async () => {
    const port = await freePort();
    // ioredis's defaults: commands wait in an offline queue until Redis comes back.
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
    client.on('error', () => undefined);
    const errors: unknown[] = [];
    const limiter = new TokenBucketLimiter(client, { onError: (error) => errors.push(error), timeoutMs: 100 });

    try {
      const started = Date.now();
      const decision = await limiter.take({ name: 'queued', limit: 1, windowSeconds: 60 }, '192.0.2.7');

      expect(decision.allowed).toBe(true);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(errors).toHaveLength(1);
    } finally {
      client.disconnect();
    }
  });

  it('picks up again after Redis restarts and has lost its script cache', async () => {
    const restarted = await RedisServer.startOnFreePort();
    const client = await failFastClient(restarted.port);
    const limiter = new TokenBucketLimiter(client);
    const rule = { name: 'restart', limit: 2, windowSeconds: 60 };
    await limiter.take(rule, '192.0.2.8');

    try {
      await restarted.stop();
      await restarted.start();
      for (let i = 0; i < 50 && client.status !== 'ready'; i++) await pause(50);
      const decisions = await takeMany(limiter, rule, '192.0.2.8', 3);

      expect(allowedCount(decisions)).toBe(2);
    } finally {
      client.disconnect();
      await restarted.stop();
    }
  });
});

describe('rate limit headers', () => {
  it('tell an allowed caller the limit, what is left and when the bucket is full', () => {
    const decision = { allowed: true, limit: 100, remaining: 41, retryAfterSeconds: 0, resetSeconds: 18 };

    const headers = rateLimitHeaders(decision);

    expect(headers).toEqual({ 'X-RateLimit-Limit': '100', 'X-RateLimit-Remaining': '41', 'X-RateLimit-Reset': '18' });
  });

  it('tell a denied caller when to retry', () => {
    const decision = { allowed: false, limit: 100, remaining: 0, retryAfterSeconds: 3, resetSeconds: 300 };

    const headers = rateLimitHeaders(decision);

    expect(headers).toEqual({
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '300',
      'Retry-After': '3',
    });
  });

  it('are whole numbers of seconds for a denial from a real bucket', async () => {
    const limiter = newLimiter();
    const rule = { name: 'headers', limit: 3, windowSeconds: 10 };
    await takeMany(limiter, rule, '192.0.2.9', 3);

    const headers = rateLimitHeaders(await limiter.take(rule, '192.0.2.9'));

    for (const name of ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After']) {
      expect(headers[name]).toMatch(/^[0-9]+$/);
    }
    expect(Number(headers['Retry-After'])).toBeGreaterThan(0);
  });
});
