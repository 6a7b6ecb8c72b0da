/**
 * When a webhook that failed is tried again, and how the webhook queue must be configured for
 * that: data and pure functions only, so the CDK construct can import it.
 *
 * The delay after attempt n (before attempt n + 1) is "equal jitter" exponential backoff:
 *
 *   ceiling(n) = min(base × 2^(n−1), cap)
 *   delay(n)   = a whole number of seconds drawn uniformly from [⌈ceiling(n) / 2⌉, ceiling(n)]
 *
 * Half of every delay is fixed, so however the jitter falls, the attempts span at least
 * `minimumRetryWindowSeconds()`; the other half spreads receivers' retries apart after an outage.
 * With base 30 s and cap 4 h the delays are at least 15 s, 30 s, 1 min, … 64 min, then 2 h each;
 * 21 attempts (20 delays) guarantee 24 h 7 min 45 s; 20 attempts would only guarantee 22 h 7 min 45 s.
 */

/** SQS's longest visibility timeout: no delay may exceed it. */
const MAX_VISIBILITY_SECONDS = 12 * 3600;

/** Every attempt a message gets: the webhook queue's `maxReceiveCount`. */
export const WEBHOOK_MAX_ATTEMPTS = 21;

/** How one delivery attempt runs; the function's timeout bounds one batch. */
export const WEBHOOK_DELIVERY = {
  /** One attempt's time limit, headers included (`WEBHOOK_TIMEOUT_MS`). */
  timeoutMs: 10_000,
  /** Messages per invocation (the event source mapping's batch size). */
  batchSize: 10,
  /** Attempts in flight at once within a batch. */
  concurrency: 10,
  /** A full batch takes ⌈batchSize / concurrency⌉ attempts' time, plus the secret and SQS calls. */
  functionTimeoutSeconds: 30,
} as const;

export const WEBHOOK_RETRY = {
  /** The first retry's delay before jitter (`WEBHOOK_RETRY_BASE_SECONDS`). */
  baseSeconds: 30,
  /** The longest delay before jitter (`WEBHOOK_RETRY_CAP_SECONDS`): 4 h. */
  capSeconds: 4 * 3600,
  maxAttempts: WEBHOOK_MAX_ATTEMPTS,
  /** What the schedule guarantees at least, from the first attempt to the last. */
  targetWindowSeconds: 24 * 3600,
  maxVisibilitySeconds: MAX_VISIBILITY_SECONDS,
  /**
   * The queue's own visibility timeout: how long a message waits when the handler fails as a
   * whole (a crash, a timeout) instead of reporting it. Six times the function's timeout, as
   * Lambda advises for SQS event sources.
   */
  queueVisibilityTimeoutSeconds: 6 * WEBHOOK_DELIVERY.functionTimeoutSeconds,
  /** The webhook queue keeps a message 4 days: longer than the longest schedule (about 48 h). */
  retentionSeconds: 4 * 86_400,
  /**
   * The dead-letter queue keeps a message 14 days, SQS's maximum. A message moved to a
   * standard dead-letter queue keeps its original enqueue time, so this must exceed
   * `retentionSeconds` to leave time to look and redrive.
   */
  deadLetterRetentionSeconds: 14 * 86_400,
} as const;

function ceilingSeconds(attempt: number, baseSeconds: number, capSeconds: number): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer: ${attempt}`);
  if (!Number.isInteger(baseSeconds) || baseSeconds < 0)
    throw new RangeError(`baseSeconds must be a non-negative integer: ${baseSeconds}`);
  if (!Number.isInteger(capSeconds) || capSeconds < 0 || capSeconds > MAX_VISIBILITY_SECONDS)
    throw new RangeError(`capSeconds must be an integer from 0 to ${MAX_VISIBILITY_SECONDS}: ${capSeconds}`);
  if (baseSeconds === 0) return 0;
  return Math.min(baseSeconds * 2 ** (attempt - 1), capSeconds);
}

/**
 * Whole seconds to wait after failed attempt `attempt` (1 for the first) before the next one.
 * `random` yields values in [0, 1), as `Math.random` does. A base of 0 retries at once (tests).
 */
export function retryDelaySeconds(
  attempt: number,
  random: () => number,
  baseSeconds: number = WEBHOOK_RETRY.baseSeconds,
  capSeconds: number = WEBHOOK_RETRY.capSeconds,
): number {
  const ceiling = ceilingSeconds(attempt, baseSeconds, capSeconds);
  const floor = Math.ceil(ceiling / 2);
  const draw = random();
  const unit = Number.isFinite(draw) ? Math.min(Math.max(draw, 0), 1) : 0;
  return Math.min(ceiling, floor + Math.floor(unit * (ceiling - floor + 1)));
}

function windowSeconds(delay: (attempt: number) => number, maxAttempts: number): number {
  let total = 0;
  for (let attempt = 1; attempt < maxAttempts; attempt++) total += delay(attempt);
  return total;
}

/** The least time from the first attempt to the last, whatever the jitter: the sum of the delays' lower bounds. */
export function minimumRetryWindowSeconds(
  baseSeconds: number = WEBHOOK_RETRY.baseSeconds,
  capSeconds: number = WEBHOOK_RETRY.capSeconds,
  maxAttempts: number = WEBHOOK_MAX_ATTEMPTS,
): number {
  return windowSeconds((attempt) => retryDelaySeconds(attempt, () => 0, baseSeconds, capSeconds), maxAttempts);
}

/** The most time from the first attempt to the last (every delay at its ceiling), for retention. */
export function maximumRetryWindowSeconds(
  baseSeconds: number = WEBHOOK_RETRY.baseSeconds,
  capSeconds: number = WEBHOOK_RETRY.capSeconds,
  maxAttempts: number = WEBHOOK_MAX_ATTEMPTS,
): number {
  return windowSeconds((attempt) => ceilingSeconds(attempt, baseSeconds, capSeconds), maxAttempts);
}
