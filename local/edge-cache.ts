/**
 * The twin edge's cache, standing in for a CloudFront edge location's. Entries are whole origin
 * objects under the cache key of `cacheKeyOf` (lambda/edge/cdn-rules.ts), kept for the behaviour's
 * TTL; Range, HEAD and 304 answers are cut from the whole object. Concurrent misses for one key
 * share one origin fetch, as CloudFront collapses them. An expired entry is revalidated: the
 * origin's ETag unchanged keeps the bytes (`RefreshHit`), a new one fetches them again.
 *
 * Memory is bounded: least recently used entries go first once the bodies exceed `maxBytes`, and an
 * object above `maxObjectBytes` is not kept at all; each request for it goes to the origin and is
 * streamed through. Error answers from the origin (a missing key, S3 unreachable) are not cached.
 */

export interface EdgeCacheOptions {
  /** Bytes of object bodies kept at most. @default 256 MiB */
  readonly maxBytes?: number;
  /** Objects larger than this pass through uncached. @default maxBytes / 8 */
  readonly maxObjectBytes?: number;
  /** The clock in milliseconds; tests move it instead of waiting. @default Date.now */
  readonly now?: () => number;
}

/** What the origin (S3) says about an object: HeadObject's and GetObject's fields. */
export interface OriginHead {
  readonly ContentLength?: number;
  readonly ContentType?: string;
  readonly ETag?: string;
  readonly LastModified?: Date;
  readonly CacheControl?: string;
}

export interface Origin {
  head(objectKey: string): Promise<OriginHead>;
  /** The whole body of the object HeadObject described; rejects when its ETag changed meanwhile. */
  body(objectKey: string, etag: string | undefined): Promise<Buffer>;
}

/** CloudFront's `X-Cache` outcomes. */
export type CacheOutcome = 'Hit' | 'RefreshHit' | 'Miss';

export type CacheLookup =
  /** A kept object, whole. `ageSeconds` is how long ago the origin last confirmed it. */
  | { readonly outcome: CacheOutcome; readonly head: OriginHead; readonly body: Buffer; readonly ageSeconds: number }
  /** Too large to keep: the caller streams it from the origin. */
  | { readonly outcome: 'Miss'; readonly head: OriginHead; readonly body?: undefined };

export interface EdgeCacheStats {
  /** Answered from the cache without asking the origin, counting `collapsed`. */
  readonly hits: number;
  /** Of the hits, those that waited for an origin fetch another request had started. */
  readonly collapsed: number;
  /** Expired entries the origin confirmed unchanged (a HEAD, no body). */
  readonly refreshHits: number;
  /** Requests that started an origin fetch, or passed a large object through. */
  readonly misses: number;
  /** Origin requests: fetches, revalidations and pass-through GETs, in total and per cache key. */
  readonly originFetches: number;
  readonly originFetchesByKey: ReadonlyMap<string, number>;
  /** Body bytes read from the origin. */
  readonly originBytes: number;
  readonly entries: number;
  /** Body bytes kept now. */
  readonly bytes: number;
  readonly evictions: number;
}

interface Entry {
  readonly head: OriginHead;
  readonly body: Buffer;
  storedAt: number;
  expiresAt: number;
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

export class EdgeCache {
  readonly maxBytes: number;
  readonly maxObjectBytes: number;
  private readonly now: () => number;
  /** In least recently used order: a Map iterates in insertion order, and a hit re-inserts. */
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<CacheLookup>>();
  private readonly fetchesByKey = new Map<string, number>();
  private bytes = 0;
  private counters = {
    hits: 0,
    collapsed: 0,
    refreshHits: 0,
    misses: 0,
    originFetches: 0,
    originBytes: 0,
    evictions: 0,
  };

  constructor(
    private readonly origin: Origin,
    options: EdgeCacheOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.maxObjectBytes = options.maxObjectBytes ?? Math.floor(this.maxBytes / 8);
    this.now = options.now ?? Date.now;
    if (!(this.maxBytes >= 0 && this.maxObjectBytes >= 0 && this.maxObjectBytes <= this.maxBytes)) {
      throw new Error(
        `EdgeCache: need 0 <= maxObjectBytes <= maxBytes, received ${this.maxObjectBytes} and ${this.maxBytes}`,
      );
    }
  }

  /**
   * The object under `cacheKey`, from the cache while fresh, else from the origin (one fetch
   * however many ask at once). `ttlSeconds` gives the entry's lifetime from the origin's answer.
   */
  async lookup(cacheKey: string, objectKey: string, ttlSeconds: (head: OriginHead) => number): Promise<CacheLookup> {
    const entry = this.entries.get(cacheKey);
    if (entry !== undefined && this.now() < entry.expiresAt) {
      this.entries.delete(cacheKey);
      this.entries.set(cacheKey, entry);
      this.counters.hits++;
      return this.served('Hit', entry);
    }
    const pending = this.inFlight.get(cacheKey);
    if (pending !== undefined) {
      const shared = await pending;
      if (shared.body === undefined) {
        // Too large to keep: this request streams its own copy from the origin.
        this.counters.misses++;
        return shared;
      }
      this.counters.hits++;
      this.counters.collapsed++;
      return { ...shared, outcome: 'Hit' };
    }
    const fetching = this.fetch(cacheKey, objectKey, entry, ttlSeconds);
    this.inFlight.set(cacheKey, fetching);
    try {
      return await fetching;
    } finally {
      this.inFlight.delete(cacheKey);
    }
  }

  /** Counts an origin request made outside `lookup`: a pass-through GET of a large object. */
  countOriginFetch(cacheKey: string, bytes: number): void {
    this.counted(cacheKey);
    this.counters.originBytes += bytes;
  }

  stats(): EdgeCacheStats {
    return {
      ...this.counters,
      originFetchesByKey: new Map(this.fetchesByKey),
      entries: this.entries.size,
      bytes: this.bytes,
    };
  }

  private async fetch(
    cacheKey: string,
    objectKey: string,
    stale: Entry | undefined,
    ttlSeconds: (head: OriginHead) => number,
  ): Promise<CacheLookup> {
    const head = await this.origin.head(objectKey);
    const size = head.ContentLength ?? 0;
    if (stale !== undefined && stale.head.ETag !== undefined && stale.head.ETag === head.ETag) {
      this.counted(cacheKey);
      this.counters.refreshHits++;
      stale.storedAt = this.now();
      stale.expiresAt = stale.storedAt + ttlSeconds(head) * 1000;
      this.entries.delete(cacheKey);
      this.entries.set(cacheKey, stale);
      return this.served('RefreshHit', stale);
    }
    if (stale !== undefined) this.remove(cacheKey);
    this.counters.misses++;
    // Not counted here: the caller's pass-through GET is the origin fetch.
    if (size > this.maxObjectBytes) return { outcome: 'Miss', head };
    this.counted(cacheKey);
    const body = await this.origin.body(objectKey, head.ETag);
    this.counters.originBytes += body.length;
    const storedAt = this.now();
    const fresh: Entry = { head, body, storedAt, expiresAt: storedAt + ttlSeconds(head) * 1000 };
    this.entries.set(cacheKey, fresh);
    this.bytes += body.length;
    for (const [key] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(key);
      this.counters.evictions++;
    }
    return this.served('Miss', fresh);
  }

  private served(outcome: CacheOutcome, entry: Entry): CacheLookup {
    const ageSeconds = Math.max(0, Math.floor((this.now() - entry.storedAt) / 1000));
    return { outcome, head: entry.head, body: entry.body, ageSeconds };
  }

  private counted(cacheKey: string): void {
    this.counters.originFetches++;
    this.fetchesByKey.set(cacheKey, (this.fetchesByKey.get(cacheKey) ?? 0) + 1);
  }

  private remove(cacheKey: string): void {
    const entry = this.entries.get(cacheKey);
    if (entry === undefined) return;
    this.entries.delete(cacheKey);
    this.bytes -= entry.body.length;
  }
}
