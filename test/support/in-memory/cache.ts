import type { Cache, Clock } from '../../../lambda/core/ports';

interface Entry {
  readonly value: string;
  readonly expiresAt: number;
}

/**
 * A key-value cache in a map, with Valkey's semantics as `ValkeyCache` uses them: `put` is
 * `SET … EX`, `fill` is `SET … EX NX`; an entry is gone once its TTL has passed on `clock`.
 */
export class InMemoryCache implements Cache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock) {}

  async get(key: string): Promise<string | undefined> {
    return this.live(key)?.value;
  }

  async put(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: this.clock.now().getTime() + ttlSeconds * 1000 });
  }

  async fill(key: string, value: string, ttlSeconds: number): Promise<void> {
    if (!this.live(key)) await this.put(key, value, ttlSeconds);
  }

  /** Seconds the entry has left, for tests of TTLs; `undefined` when there is none. */
  ttlOf(key: string): number | undefined {
    const entry = this.live(key);
    return entry && (entry.expiresAt - this.clock.now().getTime()) / 1000;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    return entry && entry.expiresAt > this.clock.now().getTime() ? entry : undefined;
  }
}
