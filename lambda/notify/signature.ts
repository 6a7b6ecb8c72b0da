import { createHmac } from 'node:crypto';

/**
 * The webhook signature, as docs/webhooks.md documents it: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">`, keyed by the webhook secret (its UTF-8 bytes). The timestamp is signed with the
 * body, so a receiver that refuses old timestamps refuses replays too.
 */

export const SIGNATURE_HEADER = 'Webhook-Signature';

export function signatureHeader(secret: string, body: string | Uint8Array, unixSeconds: number): string {
  if (!Number.isSafeInteger(unixSeconds) || unixSeconds < 0)
    throw new RangeError(`unixSeconds must be a non-negative integer: ${unixSeconds}`);
  const signature = createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex');
  return `t=${unixSeconds},v1=${signature}`;
}
