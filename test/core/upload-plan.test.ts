import fc from 'fast-check';
import {
  expectedPartSize,
  MIB,
  MIN_PART_BYTES,
  planUpload,
  S3_MAX_OBJECT_BYTES,
  S3_MAX_PART_BYTES,
  S3_MIN_PART_BYTES,
} from '../../lambda/core/upload-plan';

const S3_MAX_PARTS = 10_000;

/** Any size S3 can hold, with the edges drawn more often than chance would draw them. */
const anySize = fc.oneof(
  fc.integer({ min: 1, max: S3_MAX_OBJECT_BYTES }),
  fc.integer({ min: 1, max: 64 * MIB }),
  fc.constantFrom(1, MIN_PART_BYTES - 1, MIN_PART_BYTES, MIN_PART_BYTES + 1, 1000 * MIN_PART_BYTES + 1),
  fc.constantFrom(S3_MAX_OBJECT_BYTES - 1, S3_MAX_OBJECT_BYTES),
);

describe('upload plan', () => {
  it('never needs more than 10,000 parts, for any size from 1 byte to 5 TiB', () => {
    fc.assert(
      fc.property(anySize, (size) => {
        const plan = planUpload(size);

        expect(plan.partCount).toBeGreaterThanOrEqual(1);
        expect(plan.partCount).toBeLessThanOrEqual(S3_MAX_PARTS);
      }),
    );
  });

  it('cuts every part but the last to between 5 MiB and 5 GiB, and the last to no more than the others', () => {
    fc.assert(
      fc.property(anySize, (size) => {
        const plan = planUpload(size);

        const outOfRange: number[] = [];
        for (let partNumber = 1; partNumber < plan.partCount; partNumber++) {
          const partSize = expectedPartSize(plan, size, partNumber);
          if (partSize < S3_MIN_PART_BYTES || partSize > S3_MAX_PART_BYTES) outOfRange.push(partNumber);
        }
        expect(outOfRange).toEqual([]);
        const last = expectedPartSize(plan, size, plan.partCount);
        expect(last).toBeGreaterThanOrEqual(1);
        expect(last).toBeLessThanOrEqual(plan.partSize);
      }),
    );
  });

  it('covers the size exactly: the parts add up to the file', () => {
    fc.assert(
      fc.property(anySize, (size) => {
        const plan = planUpload(size);

        let total = 0;
        for (let partNumber = 1; partNumber <= plan.partCount; partNumber++)
          total += expectedPartSize(plan, size, partNumber);

        expect(total).toBe(size);
      }),
    );
  });

  it('uses whole MiB parts of at least 8 MiB, so a flaky connection retries little at a time', () => {
    fc.assert(
      fc.property(anySize, (size) => {
        const { partSize } = planUpload(size);

        expect(partSize % MIB).toBe(0);
        expect(partSize).toBeGreaterThanOrEqual(MIN_PART_BYTES);
      }),
    );
  });

  it('never gives a larger file smaller parts', () => {
    fc.assert(
      fc.property(anySize, anySize, (a, b) => {
        const [small, large] = a <= b ? [a, b] : [b, a];

        expect(planUpload(small).partSize).toBeLessThanOrEqual(planUpload(large).partSize);
      }),
    );
  });

  it('plans a 9 MiB file as one 8 MiB part and a 1 MiB part', () => {
    const plan = planUpload(9 * MIB);

    expect(plan).toEqual({ partSize: 8 * MIB, partCount: 2 });
    expect(expectedPartSize(plan, 9 * MIB, 2)).toBe(MIB);
  });

  it('refuses sizes that are not a whole number of bytes from 1 to 5 TiB', () => {
    const badSizes = fc.oneof(
      fc.integer({ max: 0 }),
      fc.integer({ min: S3_MAX_OBJECT_BYTES + 1, max: Number.MAX_SAFE_INTEGER }),
      fc.double({ noInteger: true }),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 2),
    );

    fc.assert(
      fc.property(badSizes, (size) => {
        expect(() => planUpload(size)).toThrow(RangeError);
      }),
    );
  });
});
