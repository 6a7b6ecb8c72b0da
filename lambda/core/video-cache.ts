import type { RecordDeps } from './ports';
import type { VideoRecord } from './video';

/**
 * Read-through caching of video records (metadata and the access facts: owner, visibility).
 *
 * - Reads try the cache, then the catalog, and fill the cache with `fill` (set-if-absent), so a
 *   slow reader never overwrites what a writer stored after it.
 * - Writes store the new record with `put` (or a "gone" marker after a delete): the cache holds
 *   the latest write, never a stale one.
 * - Unknown ids are cached briefly ("negative caching"), so a flood of bad ids costs one
 *   catalog read per id per few seconds.
 * - TTLs carry up to 10 % jitter, so entries filled together do not expire together.
 * - A cache that fails or times out is a miss: the answer comes from the catalog.
 */

export const NEGATIVE_TTL_SECONDS = 5;
const GONE = '-';
const JITTER = 0.1;

export const videoCacheKey = (id: string): string => `video:${id}`;

function jittered(ttlSeconds: number, random: () => number): number {
  return Math.max(1, Math.round(ttlSeconds * (1 - JITTER * random())));
}

/** The record of `id`, from the cache when it can, or `undefined` if there is no such video. */
export async function readVideo(deps: RecordDeps, id: string): Promise<VideoRecord | undefined> {
  const key = videoCacheKey(id);
  const random = deps.random ?? Math.random;
  let cacheWorks = true;
  try {
    const cached = await deps.cache.get(key);
    if (cached !== undefined) {
      deps.onCacheOutcome?.('hit');
      return cached === GONE ? undefined : (JSON.parse(cached) as VideoRecord);
    }
    deps.onCacheOutcome?.('miss');
  } catch {
    cacheWorks = false;
    deps.onCacheOutcome?.('error');
  }
  const record = await deps.catalog.get(id);
  if (cacheWorks) {
    const value = record ? JSON.stringify(record) : GONE;
    const ttl = record ? jittered(deps.policy.cacheTtlSeconds, random) : NEGATIVE_TTL_SECONDS;
    // A failed fill costs nothing but the next read's miss.
    await deps.cache.fill(key, value, ttl).catch(() => undefined);
  }
  return record;
}

/** After a write: the cache now holds `record` (or the "gone" marker for a deleted video). */
export async function storeVideo(deps: RecordDeps, id: string, record: VideoRecord | undefined): Promise<void> {
  const random = deps.random ?? Math.random;
  try {
    if (record)
      await deps.cache.put(videoCacheKey(id), JSON.stringify(record), jittered(deps.policy.cacheTtlSeconds, random));
    else await deps.cache.put(videoCacheKey(id), GONE, NEGATIVE_TTL_SECONDS);
  } catch (error) {
    deps.onCacheWriteFailure?.(error);
  }
}
