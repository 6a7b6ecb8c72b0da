import fc from 'fast-check';
import {
  maximumRetryWindowSeconds,
  minimumRetryWindowSeconds,
  retryDelaySeconds,
  WEBHOOK_DELIVERY,
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_RETRY,
} from '../../lambda/notify/retry-schedule';

const DAY = 86_400;
const SQS_MAX_VISIBILITY_SECONDS = 12 * 3600;
const SQS_MAX_RETENTION_SECONDS = 14 * DAY;
const attempts = fc.integer({ min: 1, max: 1000 });
const randoms = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('the webhook retry schedule', () => {
  it('guarantees at least 24 hours between the first and the last attempt, whatever the jitter', () => {
    const window = minimumRetryWindowSeconds();

    expect(window).toBeGreaterThanOrEqual(DAY);
    expect(window).toBe(86_865);
  });

  it('gives no more attempts than that guarantee needs', () => {
    const withOneFewer = minimumRetryWindowSeconds(WEBHOOK_RETRY.baseSeconds, WEBHOOK_RETRY.capSeconds, 20);

    expect(WEBHOOK_MAX_ATTEMPTS).toBe(21);
    expect(withOneFewer).toBeLessThan(DAY);
  });

  it('starts at 30 seconds, doubles, and stops growing at 4 hours', () => {
    const ceilings = Array.from({ length: 12 }, (_, index) => retryDelaySeconds(index + 1, () => 0.999_999_999));
    const floors = Array.from({ length: 12 }, (_, index) => retryDelaySeconds(index + 1, () => 0));

    expect(ceilings).toEqual([30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 14_400, 14_400, 14_400]);
    expect(floors).toEqual([15, 30, 60, 120, 240, 480, 960, 1920, 3840, 7200, 7200, 7200]);
  });

  it('keeps every message in the queue longer than its slowest schedule, and in the dead-letter queue longer still', () => {
    expect(WEBHOOK_RETRY.retentionSeconds).toBeGreaterThan(maximumRetryWindowSeconds());
    expect(WEBHOOK_RETRY.deadLetterRetentionSeconds).toBeGreaterThan(WEBHOOK_RETRY.retentionSeconds);
    expect(WEBHOOK_RETRY.deadLetterRetentionSeconds).toBeLessThanOrEqual(SQS_MAX_RETENTION_SECONDS);
  });

  it('hides a message that failed as a whole for longer than the function may run', () => {
    expect(WEBHOOK_RETRY.queueVisibilityTimeoutSeconds).toBeGreaterThanOrEqual(
      WEBHOOK_DELIVERY.functionTimeoutSeconds * 6,
    );
    expect(WEBHOOK_DELIVERY.functionTimeoutSeconds * 1000).toBeGreaterThan(
      WEBHOOK_DELIVERY.timeoutMs * Math.ceil(WEBHOOK_DELIVERY.batchSize / WEBHOOK_DELIVERY.concurrency),
    );
  });

  it('retries at once when the base is 0, as the tests configure it', () => {
    expect(retryDelaySeconds(1, Math.random, 0)).toBe(0);
    expect(retryDelaySeconds(50, Math.random, 0)).toBe(0);
  });

  it('refuses attempts and settings outside their range', () => {
    expect(() => retryDelaySeconds(0, Math.random)).toThrow(RangeError);
    expect(() => retryDelaySeconds(1.5, Math.random)).toThrow(RangeError);
    expect(() => retryDelaySeconds(1, Math.random, -1)).toThrow(RangeError);
    expect(() => retryDelaySeconds(1, Math.random, 30, SQS_MAX_VISIBILITY_SECONDS + 1)).toThrow(RangeError);
  });

  describe('properties', () => {
    it('every delay is a whole number of seconds, between half its ceiling and its ceiling, within SQS visibility', () => {
      fc.assert(
        fc.property(attempts, randoms, (attempt, random) => {
          const delay = retryDelaySeconds(attempt, () => random);
          const ceiling = Math.min(30 * 2 ** (attempt - 1), WEBHOOK_RETRY.capSeconds);

          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
          expect(delay).toBeLessThanOrEqual(ceiling);
          expect(delay).toBeLessThanOrEqual(SQS_MAX_VISIBILITY_SECONDS);
        }),
      );
    });

    it('no delay is shorter than the one the minimum window counts for it', () => {
      fc.assert(
        fc.property(attempts, randoms, (attempt, random) => {
          expect(retryDelaySeconds(attempt, () => random)).toBeGreaterThanOrEqual(retryDelaySeconds(attempt, () => 0));
        }),
      );
    });

    it('delays grow with the attempt until the cap, for the same draw', () => {
      fc.assert(
        fc.property(attempts, randoms, (attempt, random) => {
          const here = retryDelaySeconds(attempt, () => random);
          const next = retryDelaySeconds(attempt + 1, () => random);

          expect(next).toBeGreaterThanOrEqual(here);
          if (30 * 2 ** attempt <= WEBHOOK_RETRY.capSeconds) expect(next).toBeGreaterThan(here);
        }),
      );
    });

    it('any schedule the jitter draws spans at least the minimum window', () => {
      fc.assert(
        fc.property(
          fc.array(randoms, { minLength: WEBHOOK_MAX_ATTEMPTS - 1, maxLength: WEBHOOK_MAX_ATTEMPTS - 1 }),
          (draws) => {
            const total = draws.reduce((sum, draw, index) => sum + retryDelaySeconds(index + 1, () => draw), 0);

            expect(total).toBeGreaterThanOrEqual(minimumRetryWindowSeconds());
            expect(total).toBeGreaterThanOrEqual(DAY);
            expect(total).toBeLessThanOrEqual(maximumRetryWindowSeconds());
          },
        ),
      );
    });

    it('keeps any base and cap within SQS limits, and a random source out of range cannot break the bounds', () => {
      fc.assert(
        fc.property(
          attempts,
          fc.integer({ min: 0, max: 3600 }),
          fc.integer({ min: 0, max: SQS_MAX_VISIBILITY_SECONDS }),
          fc.oneof(randoms, fc.constantFrom(-1, 1, 2, Number.NaN, Number.POSITIVE_INFINITY)),
          (attempt, base, cap, random) => {
            const delay = retryDelaySeconds(attempt, () => random, base, cap);

            expect(delay).toBeGreaterThanOrEqual(0);
            expect(delay).toBeLessThanOrEqual(cap);
          },
        ),
      );
    });
  });
});
