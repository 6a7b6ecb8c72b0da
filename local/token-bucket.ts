import type { Redis } from 'ioredis';

/**
 * The twin's stand-in for WAF rate-based rules: `limit` requests per `windowSeconds` per client,
 * as a token bucket in Redis so that the API and the edge (and several processes) share one count.
 * One Lua script does the whole read-refill-take-write, so concurrent takes cannot both spend the
 * last token, and it reads Redis's own clock, so processes with skewed clocks agree.
 */

export interface RateRule {
  readonly name: string;
  readonly limit: number;
  readonly windowSeconds: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** seconds until one token is back (0 when allowed) */
  readonly retryAfterSeconds: number;
  /** seconds until the bucket is full again */
  readonly resetSeconds: number;
}

export interface TokenBucketOptions {
  /** @default 'rate:' */
  readonly keyPrefix?: string;
  /** Told when Redis fails; the request is allowed anyway. */
  readonly onError?: (error: unknown) => void;
  /**
   * How long a take may wait for Redis before it fails open. A client that queues commands while
   * disconnected would otherwise hold every request until Redis is back.
   * @default 250
   */
  readonly timeoutMs?: number;
}

// KEYS[1]: the bucket (a hash: tokens, at). ARGV[1]: capacity; ARGV[2]: window in ms.
// Returns { allowed (1|0), tokens left as a string (Lua numbers would be truncated to integers) }.
const TAKE_TOKEN_LUA = `
local capacity = tonumber(ARGV[1])
local window_ms = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
-- A missing bucket is a full one: it expires only once it would have refilled.
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
-- Refill continuously at capacity / window; never beyond capacity (and never back in time).
tokens = math.min(capacity, tokens + math.max(0, now - at) * capacity / window_ms)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], window_ms)
return { allowed, tostring(tokens) }
`;

const COMMAND = 'vodTakeToken';

type TakeTokenCommand = (key: string, capacity: number, windowMs: number) => Promise<[number, string]>;

export class TokenBucketLimiter {
  private readonly keyPrefix: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: TokenBucketOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? 'rate:';
    this.timeoutMs = options.timeoutMs ?? 250;
    // EVALSHA with a fallback to EVAL when Redis lost its script cache (a restart).
    redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: TAKE_TOKEN_LUA });
  }

  /** Takes one token for `client` under `rule`. When Redis fails it allows the request (fail open) and reports onError: the limiter must never take the platform down. */
  async take(rule: RateRule, client: string): Promise<RateDecision> {
    checkRule(rule);
    const windowMs = rule.windowSeconds * 1000;
    const command = (this.redis as unknown as Record<string, TakeTokenCommand>)[COMMAND] as TakeTokenCommand;
    let timer: NodeJS.Timeout | undefined;
    try {
      const [allowed, left] = await Promise.race([
        command.call(this.redis, `${this.keyPrefix}${rule.name}:${client}`, rule.limit, windowMs),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`rate limiter: Redis took over ${this.timeoutMs} ms`)),
            this.timeoutMs,
          );
        }),
      ]);
      return decision(rule, allowed === 1, Number(left));
    } catch (error) {
      this.options.onError?.(error);
      // Nothing is known about the bucket; report it full rather than invent a count.
      return { allowed: true, limit: rule.limit, remaining: rule.limit, retryAfterSeconds: 0, resetSeconds: 0 };
    } finally {
      clearTimeout(timer);
    }
  }
}

function checkRule(rule: RateRule): void {
  if (!Number.isInteger(rule.limit) || rule.limit < 1)
    throw new RangeError(`rate rule ${rule.name}: limit must be a positive integer, got ${rule.limit}`);
  if (!(rule.windowSeconds > 0))
    throw new RangeError(`rate rule ${rule.name}: windowSeconds must be positive, got ${rule.windowSeconds}`);
}

function decision(rule: RateRule, allowed: boolean, tokens: number): RateDecision {
  const secondsPerToken = rule.windowSeconds / rule.limit;
  return {
    allowed,
    limit: rule.limit,
    remaining: Math.floor(tokens),
    // A denied caller always waits at least a second: Retry-After is in whole seconds.
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) * secondsPerToken)),
    resetSeconds: Math.ceil((rule.limit - tokens) * secondsPerToken),
  };
}

/** X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset (seconds), and Retry-After when denied. */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'X-RateLimit-Limit': String(decision.limit),
    'X-RateLimit-Remaining': String(decision.remaining),
    'X-RateLimit-Reset': String(decision.resetSeconds),
  };
  if (!decision.allowed) headers['Retry-After'] = String(decision.retryAfterSeconds);
  return headers;
}
