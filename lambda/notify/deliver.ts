import { SIGNATURE_HEADER, signatureHeader } from './signature';

/**
 * One delivery attempt of one webhook event: a signed `POST` of the event's body, byte for byte
 * as it was published, and what to do next.
 *
 * - Any 2xx ends delivery.
 * - Everything else is retried on the schedule, until the attempts run out and the message moves
 *   to the dead-letter queue: 5xx, 408, 429, timeouts and connection errors, and also every other
 *   4xx. A receiver that answers 401, 404 or 410 is most often misconfigured (a wrong path, a
 *   rotated secret, a deploy gone wrong); retrying for the whole window lets its owner fix it and
 *   still receive every event, as "a receiver that is down loses nothing" promises, and the cost
 *   is bounded by the attempt count.
 * - Redirects are never followed (a 3xx is retried like any failure): the signature covers the
 *   body, not the URL, so following one would hand a signed event to wherever it points.
 * - The response body is never read, only cancelled: a receiver cannot make an attempt slow or
 *   costly by answering with a large body.
 */

export const WEBHOOK_ID_HEADER = 'Webhook-Id';
export const WEBHOOK_USER_AGENT = 'vod-stack-webhooks/1';

export interface DeliveryRequest {
  readonly url: string;
  readonly secret: string;
  /** The event's id, sent as `Webhook-Id` so receivers can deduplicate. */
  readonly eventId: string;
  /** The event as published, sent and signed as it is. */
  readonly body: string;
  /** The time of this attempt: the signature's timestamp. */
  readonly now: Date;
  /** The whole attempt's limit, up to the response's status and headers. */
  readonly timeoutMs: number;
  readonly fetch: typeof globalThis.fetch;
}

export type DeliveryResult =
  | { readonly outcome: 'delivered'; readonly status: number }
  | { readonly outcome: 'retry'; readonly reason: string; readonly status?: number };

export async function deliverWebhook(request: DeliveryRequest): Promise<DeliveryResult> {
  const unixSeconds = Math.floor(request.now.getTime() / 1000);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), request.timeoutMs);
  let response: Response;
  try {
    response = await request.fetch(request.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': WEBHOOK_USER_AGENT,
        [WEBHOOK_ID_HEADER]: request.eventId,
        [SIGNATURE_HEADER]: signatureHeader(request.secret, request.body, unixSeconds),
      },
      body: request.body,
      redirect: 'manual',
      signal: controller.signal,
    });
  } catch (error) {
    if (controller.signal.aborted) return { outcome: 'retry', reason: `no response within ${request.timeoutMs} ms` };
    return { outcome: 'retry', reason: `connection failed: ${describe(error)}` };
  } finally {
    clearTimeout(timer);
  }
  // Never read: release the connection whatever the receiver sends.
  response.body?.cancel().catch(() => undefined);

  const { status } = response;
  if (status >= 200 && status < 300) return { outcome: 'delivered', status };
  if ((status >= 300 && status < 400) || response.type === 'opaqueredirect')
    return { outcome: 'retry', reason: `redirect ${status} not followed`, status };
  return { outcome: 'retry', reason: `HTTP ${status}`, status };
}

/** The most telling part of a fetch failure: undici wraps the socket's error (ECONNREFUSED, …) in `cause`. */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
