/**
 * How a file is cut into parts. S3 allows at most 10,000 parts of 5 MiB to 5 GiB (the last may
 * be smaller). We aim at no more than 1,000 parts so that the part URLs of even the largest
 * upload fit in one response, and at parts no smaller than 8 MiB so that a flaky connection
 * retries little at a time.
 */

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
export const S3_MIN_PART_BYTES = 5 * MIB;
export const S3_MAX_PART_BYTES = 5 * GIB;
export const S3_MAX_OBJECT_BYTES = 5 * 1024 * GIB;
export const MIN_PART_BYTES = 8 * MIB;
export const TARGET_MAX_PARTS = 1000;

export interface UploadPlan {
  readonly partSize: number;
  readonly partCount: number;
}

export function planUpload(sizeBytes: number): UploadPlan {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 1 || sizeBytes > S3_MAX_OBJECT_BYTES)
    throw new RangeError(`sizeBytes must be an integer from 1 to ${S3_MAX_OBJECT_BYTES}, got ${sizeBytes}`);
  const wanted = Math.ceil(Math.ceil(sizeBytes / TARGET_MAX_PARTS) / MIB) * MIB;
  const partSize = Math.min(S3_MAX_PART_BYTES, Math.max(MIN_PART_BYTES, wanted));
  return { partSize, partCount: Math.ceil(sizeBytes / partSize) };
}

/** The size part `partNumber` must have under the plan. */
export function expectedPartSize(plan: UploadPlan, sizeBytes: number, partNumber: number): number {
  return partNumber < plan.partCount ? plan.partSize : sizeBytes - plan.partSize * (plan.partCount - 1);
}

export const sourceKey = (videoId: string): string => `uploads/${videoId}/source`;
export const uploadPrefix = (videoId: string): string => `uploads/${videoId}/`;
export const mediaPrefix = (videoId: string): string => `v/${videoId}/`;
