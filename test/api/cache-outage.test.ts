import { performance } from 'node:perf_hooks';
import type Redis from 'ioredis';
import { sharedRuntime } from '../../lambda/api/runtime';
import { NEGATIVE_TTL_SECONDS, videoCacheKey } from '../../lambda/core/video-cache';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { cacheClient, createVideo, expectApiError } from '../support/videos';

/** The cache's TTL in the harness's settings, less the up to 10 % jitter. */
const CACHE_TTL_SECONDS = 300;
/** Far longer than a read from the catalog takes here, far shorter than any connect or retry wait. */
const FAIL_OPEN_BUDGET_MS = 500;

let api: ApiHarness;
let redis: Redis;
beforeAll(async () => {
  api = await startApiHarness({ CACHE_TTL_SECONDS: String(CACHE_TTL_SECONDS) });
  redis = cacheClient(api);
});
afterAll(async () => {
  redis.disconnect();
  await api.stop();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The names of the metrics the handlers count while `work` runs. */
async function metricsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const addMetric = jest.spyOn(sharedRuntime().metrics, 'addMetric');
  try {
    await work();
    return addMetric.mock.calls.map(([name]) => name);
  } finally {
    addMetric.mockRestore();
  }
}

/** Reads `id` until a read is a cache hit (the client reconnects by itself), or 15 s pass; the metrics of the last read. */
async function readsUntilCacheHit(id: string): Promise<string[]> {
  let counted: string[] = [];
  const deadline = Date.now() + 15_000;
  do {
    counted = await metricsDuring(() => api.call('getVideo', { id }));
    if (!counted.includes('CacheHit')) await pause(100);
  } while (!counted.includes('CacheHit') && Date.now() < deadline);
  return counted;
}

async function cachedTitle(id: string): Promise<string | undefined> {
  const value = await redis.get(videoCacheKey(id));
  return value === null ? undefined : JSON.parse(value).title;
}

describe('the video cache', () => {
  it('serves a second read from the cache', async () => {
    const { video } = await createVideo(api, 'olga', { title: 'Cached' });
    await redis.del(videoCacheKey(video.id));
    await api.call('getVideo', { id: video.id });

    const counted = await metricsDuring(() => api.call('getVideo', { id: video.id }));

    expect(counted).toContain('CacheHit');
    expect(counted).not.toContain('CacheMiss');
  });

  it('caches an unknown id briefly as gone, so the next read does not reach the catalog', async () => {
    const id = 'never-created';
    const catalogGet = jest.spyOn(sharedRuntime().deps.catalog, 'get');

    try {
      const first = await api.call('getVideo', { id });
      const reads = catalogGet.mock.calls.length;
      const second = await api.call('getVideo', { id });

      expectApiError(first, 404, 'NOT_FOUND');
      expectApiError(second, 404, 'NOT_FOUND');
      expect(reads).toBe(1);
      expect(catalogGet).toHaveBeenCalledTimes(1);
    } finally {
      catalogGet.mockRestore();
    }
    expect(await redis.get(videoCacheKey(id))).toBe('-');
    const ttl = await redis.ttl(videoCacheKey(id));
    expect(ttl).toBeGreaterThanOrEqual(1);
    expect(ttl).toBeLessThanOrEqual(NEGATIVE_TTL_SECONDS);
  });

  it('replaces the cached entry on a write, with a full TTL', async () => {
    const { video } = await createVideo(api, 'olga', { title: 'Old' });
    await api.call('getVideo', { id: video.id });
    const before = await cachedTitle(video.id);

    await api.call('updateVideo', { as: 'olga', id: video.id, body: { title: 'New' } });

    expect(before).toBe('Old');
    expect(await cachedTitle(video.id)).toBe('New');
    expect(await redis.ttl(videoCacheKey(video.id))).toBeGreaterThan(CACHE_TTL_SECONDS * 0.9 - 5);
  });

  it('marks a deleted video gone in the cache', async () => {
    const { video } = await createVideo(api, 'olga');
    await api.call('getVideo', { id: video.id });

    await api.call('deleteVideo', { as: 'olga', id: video.id });

    expect(await redis.get(videoCacheKey(video.id))).toBe('-');
    expectApiError(await api.call('getVideo', { id: video.id }), 404, 'NOT_FOUND');
  });

  it('answers from DynamoDB, quickly, while Valkey is down, and from the cache again once it is back', async () => {
    const { video } = await createVideo(api, 'olga', { title: 'Before the outage' });
    const id = video.id;
    await api.call('getVideo', { id });

    await api.servers.redis.stop();
    try {
      const timings: number[] = [];
      const timed = async <T>(work: () => Promise<T>): Promise<T> => {
        const started = performance.now();
        const result = await work();
        timings.push(performance.now() - started);
        return result;
      };
      // Enough reads that a client waiting for its reconnect attempts, which back off, would
      // blow the budget well before the last.
      const readsDuringOutage = await metricsDuring(async () => {
        for (let n = 0; n < 6; n++) {
          const read = await timed(() => api.call('getVideo', { id }));
          expect(read.status).toBe(200);
          expect(read.body.video.title).toBe('Before the outage');
        }
      });
      let update: Awaited<ReturnType<ApiHarness['call']>> | undefined;
      const writesDuringOutage = await metricsDuring(async () => {
        update = await timed(() => api.call('updateVideo', { as: 'olga', id, body: { title: 'During the outage' } }));
      });
      const readAfterWrite = await api.call('getVideo', { id });
      const created = await api.call('createVideo', {
        as: 'olga',
        body: { title: 'New', visibility: 'private', fileName: 'a.mp4', contentType: 'video/mp4', sizeBytes: 1 },
      });
      const unknown = await api.call('getVideo', { id: 'unknown-during-outage' });

      expect(Math.max(...timings)).toBeLessThan(FAIL_OPEN_BUDGET_MS);
      expect(readsDuringOutage).toContain('CacheError');
      expect(readsDuringOutage).not.toContain('ServerFault');
      expect(update?.status).toBe(200);
      expect(writesDuringOutage).toContain('CacheWriteFailure');
      expect(readAfterWrite.body.video.title).toBe('During the outage');
      expect(created.status).toBe(201);
      expectApiError(unknown, 404, 'NOT_FOUND');
    } finally {
      await api.servers.redis.start();
    }

    // The API's client reconnects by itself, backing off up to 2 s; the restarted cache is empty.
    expect(await readsUntilCacheHit(id)).toContain('CacheHit');
    expect(await cachedTitle(id)).toBe('During the outage');
    expect((await api.call('getVideo', { id })).body.video.title).toBe('During the outage');
  });
  it('keeps answering a steady load with no 5xx while Valkey is killed and restarted, and hits resume', async () => {
    // Prepare: 50 videos read 16 at a time, round and round, for the whole run.
    const ids: string[] = [];
    for (let n = 0; n < 50; n++) ids.push((await createVideo(api, 'petra', { title: `Load ${n}` })).video.id);
    const statuses: number[] = [];
    let running = true;
    let next = 0;
    const reader = async () => {
      while (running) statuses.push((await api.call('getVideo', { id: ids[next++ % ids.length] })).status);
    };

    // Act: the load runs through a kill and a restart of the cache.
    const counted = await metricsDuring(async () => {
      const readers = Array.from({ length: 16 }, reader);
      await pause(300);
      await api.servers.redis.stop();
      await pause(700);
      await api.servers.redis.start();
      await pause(2500);
      running = false;
      await Promise.all(readers);
    });
    const afterwards = await readsUntilCacheHit(ids[0] as string);

    // Assess
    expect(statuses.length).toBeGreaterThan(100);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(counted).toContain('CacheError');
    expect(counted).not.toContain('ServerFault');
    expect(afterwards).toContain('CacheHit');
  });
});
