import type { ApiPolicy, CoreDeps, Notifier } from '../../../lambda/core/ports';
import { GIB } from '../../../lambda/core/upload-plan';
import type { WebhookEvent } from '../../../lambda/core/webhook-event';
import { InMemoryCache } from './cache';
import { InMemoryCatalog } from './catalog';
import { ManualClock } from './clock';
import { InMemoryObjectStore } from './object-store';

/** The API's limits as the local servers configure them. */
export const IN_MEMORY_POLICY: ApiPolicy = {
  maxUploadBytes: 50 * GIB,
  allowedContentTypes: ['video/mp4', 'video/quicktime', 'video/webm'],
  uploadUrlTtlSeconds: 900,
  publicPlaybackTtlSeconds: 86_400,
  privatePlaybackTtlSeconds: 3600,
  cacheTtlSeconds: 300,
  cdnBaseUrl: 'https://cdn.example.test',
};

/** The ports the core is given, in memory, and what a test needs to look at them. */
export interface InMemoryCore {
  /** What the use cases take. Its ports are the ones below, behind a recorder of `calls`. */
  readonly deps: CoreDeps;
  readonly catalog: InMemoryCatalog;
  readonly cache: InMemoryCache;
  readonly uploads: InMemoryObjectStore;
  readonly media: InMemoryObjectStore;
  readonly clock: ManualClock;
  /** Keeps what it is given in `published`. */
  readonly notifier: Notifier;
  /** The webhook events the core published, in order. */
  readonly published: WebhookEvent[];
  /** What the core was told when the cache failed on a write. */
  readonly cacheWriteFailures: unknown[];
  /** Each call the core made on a port, in order, as `port.method` (`catalog.create`, `media.deleteByPrefix`). */
  readonly calls: string[];
}

/**
 * A fresh set of in-memory ports, no server anywhere. Cache TTLs carry no jitter and video ids
 * count up (`video-1`, `video-2`…), so that tests can name them. A test that wants a port to
 * fail spies on the port here (`jest.spyOn(core.catalog, 'create')`): `deps` reaches the same
 * object, so the recorder sees the call too.
 */
export function inMemoryCore(policy: Partial<ApiPolicy> = {}): InMemoryCore {
  const clock = new ManualClock();
  const catalog = new InMemoryCatalog();
  const cache = new InMemoryCache(clock);
  const uploads = new InMemoryObjectStore('uploads');
  const media = new InMemoryObjectStore('media');
  const published: WebhookEvent[] = [];
  const cacheWriteFailures: unknown[] = [];
  const calls: string[] = [];
  const notifier: Notifier = { publish: async (event) => void published.push(event) };
  const recorded = <T extends object>(name: string, port: T): T => recordCalls(name, port, calls);
  let videoCount = 0;

  const deps: CoreDeps = {
    catalog: recorded('catalog', catalog),
    cache: recorded('cache', cache),
    uploads: recorded('uploads', uploads),
    media: recorded('media', media),
    signingKeys: recorded('signingKeys', {
      currentKey: async () => ({ keyId: 'test1', secret: 'a-test-secret-that-is-long-enough-0123456789' }),
    }),
    clock,
    ids: { newVideoId: () => `video-${++videoCount}` },
    policy: { ...IN_MEMORY_POLICY, ...policy },
    notifier: recorded('notifier', notifier),
    onCacheWriteFailure: (error) => cacheWriteFailures.push(error),
    random: () => 0,
  };
  return { deps, catalog, cache, uploads, media, clock, notifier, published, cacheWriteFailures, calls };
}

/** `port`, with each method call noted in `calls` as `name.method` before it runs. */
function recordCalls<T extends object>(name: string, port: T, calls: string[]): T {
  return new Proxy(port, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(`${name}.${String(property)}`);
        return value.apply(target, args);
      };
    },
  });
}

/** The writes the core made, in order: each port call but the reads and the presigning. */
export const writesIn = (core: InMemoryCore): string[] =>
  core.calls.filter((call) => !/\.(get|listParts|headObject|presignUploadPart|currentKey|listByOwner)$/.test(call));
