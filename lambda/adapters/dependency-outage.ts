/**
 * Recognises an AWS SDK v3 error that says a dependency (S3, DynamoDB, SQS, Secrets Manager) is
 * unavailable for now, as opposed to a bug of ours or a request it refused. The API answers the
 * former with 503 and `Retry-After`, the latter with 500. One place, so that every route agrees.
 */

/** Node's socket errors when the server is not there, went away, or stopped answering. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** A socket error code as Node words it, or the HTTP handler's timeout text. */
const networkFailureText = (message: string): boolean =>
  [...NETWORK_CODES].some((code) => new RegExp(`\\b${code}\\b`).test(message)) ||
  message.includes('@smithy/node-http-handler');

/** Error names (S3's and DynamoDB's codes, the SDK's own) that mean "not now, try again". */
const UNAVAILABLE_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalError',
  'InternalServerError',
  'InternalFailure',
  'InternalServiceError',
]);

interface SdkLikeError {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $fault?: unknown;
  readonly cause?: unknown;
}

/**
 * True for: a connection refused, reset or timed out (Node's `code`, or the SDK's `TimeoutError`);
 * a service error whose name is one of throttling or unavailability; or any answer from the
 * service with an HTTP status of 500 or more. A `TypeError` or any other error of our own is never
 * one (it carries neither an SDK status nor one of these names or codes).
 */
export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const { name, code, message, $metadata, cause } = error as SdkLikeError;
  // By name, not `instanceof`: an error may come from another realm (Node's core under Jest).
  if (name === 'TypeError' || name === 'RangeError' || name === 'SyntaxError' || name === 'ReferenceError')
    return false;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (typeof name === 'string' && UNAVAILABLE_NAMES.has(name)) return true;
  const status = $metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500) return true;
  // The SDK's retry layer re-wraps an error it does not see as an `Error` (one from another realm,
  // as under Jest) into a plain one that keeps only the text: "AWS SDK error wrapper for Error:
  // connect ECONNREFUSED …". Only errors that came out of an SDK client (with `$metadata`) count.
  if ($metadata !== undefined && typeof message === 'string' && networkFailureText(message)) return true;
  // A socket error may come wrapped (Node's fetch, an AggregateError of several addresses).
  if (error instanceof AggregateError && error.errors.some((inner) => isDependencyUnavailable(inner, depth + 1)))
    return true;
  return cause !== undefined && isDependencyUnavailable(cause, depth + 1);
}

/**
 * How long an SDK client waits, so an outage answers in bounded time, well inside the API
 * functions' 15 s timeout. The SDK makes up to 3 attempts (DynamoDB 4) with a short backoff:
 * - `connectionTimeout`: connecting to S3 or DynamoDB takes milliseconds inside a region; 1 s
 *   without a connection means it is not coming;
 * - `socketTimeout`: 3 s without a byte on an open socket is far over any single call these
 *   handlers make. It is an idle timeout (node-http-handler's `requestTimeout` only logs a warning
 *   unless told to throw, and a total cap would cut a long CompleteMultipartUpload that S3 keeps
 *   alive with whitespace).
 * Worst case for one hung call: 4 × 3 s + backoff ≈ 13 s, under the 15 s a function may run; a
 * refused connection (the usual outage) answers in well under a second.
 */
export const DEPENDENCY_TIMEOUTS = { connectionTimeout: 1_000, socketTimeout: 3_000 } as const;

/**
 * The `Retry-After` (seconds) of a 503: long enough for the SDK's own retries to have been worth
 * giving up on and for a throttling burst or a node failover to pass, short enough that a client
 * does not idle long after the dependency is back.
 */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/** Socket errors raised before a request is sent: the server cannot have seen it. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** Refusals a service answers without applying the request. */
const REFUSED_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
]);

/**
 * True when the request certainly was not applied: it never left (connection refused, no such
 * host) or the service refused it (throttling). A timeout, a reset or a 500 stays ambiguous.
 */
export function isCertainlyNotApplied(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code, message, $metadata } = error as SdkLikeError;
  if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return true;
  if (typeof name === 'string' && REFUSED_NAMES.has(name)) return true;
  // The SDK's re-wrapped socket error keeps only its text (see `isDependencyUnavailable`).
  return (
    $metadata !== undefined &&
    typeof message === 'string' &&
    [...NOT_SENT_CODES].some((notSent) => new RegExp(`\\b${notSent}\\b`).test(message))
  );
}
