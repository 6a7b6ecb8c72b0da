import Redis from 'ioredis';
import type { Cache } from '../core/ports';

export interface ValkeyCacheOptions {
  /** `host:port`. */
  readonly endpoint: string;
  /** ElastiCache Serverless accepts TLS only. */
  readonly tls: boolean;
  /**
   * How long a command may take before the cache counts as failed and the read falls through
   * to the catalog. Valkey answers in well under a millisecond, so this is generous.
   * @default 100
   */
  readonly commandTimeoutMs?: number;
  /** @default 1000 */
  readonly connectTimeoutMs?: number;
  /** Told of connection errors (they are expected while the cache is down). */
  readonly onError?: (error: Error) => void;
}

/**
 * Valkey (or Redis) through one connection per container. It fails fast instead of queueing:
 * while disconnected every command rejects at once, and the core falls back to the catalog.
 * The client reconnects by itself, backing off up to 2 s.
 */
export class ValkeyCache implements Cache {
  readonly client: Redis;

  constructor(options: ValkeyCacheOptions) {
    const separator = options.endpoint.lastIndexOf(':');
    const host = options.endpoint.slice(0, separator);
    const port = Number(options.endpoint.slice(separator + 1));
    if (separator < 1 || !Number.isInteger(port) || port < 1 || port > 65535)
      throw new RangeError(`cache endpoint must be host:port, got ${JSON.stringify(options.endpoint)}`);
    this.client = new Redis({
      host,
      port,
      tls: options.tls ? { servername: host } : undefined,
      connectTimeout: options.connectTimeoutMs ?? 1000,
      commandTimeout: options.commandTimeoutMs ?? 100,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    });
    this.client.on('error', (error: Error) => options.onError?.(error));
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.client.get(key)) ?? undefined;
  }

  async put(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.client.set(key, value, 'EX', ttlSeconds);
  }

  async fill(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.client.set(key, value, 'EX', ttlSeconds, 'NX');
  }

  disconnect(): void {
    this.client.disconnect();
  }
}
