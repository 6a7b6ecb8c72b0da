/**
 * The API's errors: `{ "error": { "code", "message" } }` with a status that says whose fault it
 * is. Use cases throw these; the HTTP layer turns them into responses. Anything else that is
 * thrown is a fault of ours (a 5xx), never of the caller's input.
 */

export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  UPLOAD_INCOMPLETE: 400,
  SIZE_MISMATCH: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID_STATE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  /** A dependency (S3, DynamoDB) is down or throttling; with `Retry-After`. Nothing was half-written. */
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The body of a rate-limited answer (429): WAF's custom response in AWS, the twin's limiter locally. */
export const RATE_LIMITED_BODY = JSON.stringify({
  error: { code: 'RATE_LIMITED', message: 'Too many requests from this address; retry later.' },
});

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (what = 'video'): ApiError => new ApiError('NOT_FOUND', `No such ${what}.`);
export const invalidState = (message: string): ApiError => new ApiError('INVALID_STATE', message);
export const invalidInput = (message: string): ApiError => new ApiError('VALIDATION_FAILED', message);
