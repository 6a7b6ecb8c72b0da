import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { deliverWebhook, WEBHOOK_USER_AGENT } from '../../lambda/notify/deliver';
import { SIGNATURE_HEADER, signatureHeader } from '../../lambda/notify/signature';
import { documentedVerifier, type Receiver, sampleEvents, startReceiver, type VerifyWebhook } from './support';

const SECRET = 'whsec_test_0123456789abcdefghijklmnopqrstuvwxyz';
const T = 1_800_000_000;
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('webhook signatures', () => {
  let verify: VerifyWebhook;
  let receiver: Receiver;

  beforeAll(async () => {
    verify = documentedVerifier();
    receiver = await startReceiver({ secret: SECRET, verify });
  });

  afterAll(async () => {
    await receiver.close();
  });

  /** POSTs `body` to the receiver with the given signature header, as an impostor would. */
  async function post(body: string, signature: string): Promise<number> {
    const response = await fetch(receiver.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signature },
      body,
    });
    await response.body?.cancel();
    return response.status;
  }

  it('names the header Webhook-Signature and formats it as t=<unix>,v1=<64 hex digits>', () => {
    const header = signatureHeader(SECRET, '{}', T);

    expect(SIGNATURE_HEADER).toBe('Webhook-Signature');
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
  });

  it('computes the same HMAC as openssl over "<t>.<body>"', () => {
    const body = JSON.stringify(sampleEvents(1)[0]);

    const output = execFileSync('openssl', ['dgst', '-sha256', '-hmac', SECRET], { input: `${T}.${body}` }).toString();

    const hex = /=\s*([0-9a-f]{64})\s*$/.exec(output)?.[1];
    expect(hex).toBeDefined();
    expect(signatureHeader(SECRET, body, T)).toBe(`t=${T},v1=${hex}`);
  });

  it('delivers a request that a receiver running the documented snippet accepts', async () => {
    const [event] = sampleEvents(1);
    if (!event) throw new Error('no event');
    const body = JSON.stringify(event);

    const result = await deliverWebhook({
      url: receiver.url,
      secret: SECRET,
      eventId: event.id,
      body,
      now: new Date(),
      timeoutMs: 5000,
      fetch,
    });

    expect(result).toEqual({ outcome: 'delivered', status: 204 });
    const request = receiver.requests.at(-1);
    expect(request).toMatchObject({ method: 'POST', path: '/hooks', verified: true });
    expect(request?.rawBody.toString('utf8')).toBe(body);
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json',
      'webhook-id': event.id,
      'user-agent': WEBHOOK_USER_AGENT,
    });
  });

  it('the documented snippet rejects a tampered body, a wrong secret, a changed timestamp and a missing header', async () => {
    const body = JSON.stringify(sampleEvents(1)[0]);
    const now = nowSeconds();
    const signed = signatureHeader(SECRET, body, now);

    const statuses = {
      genuine: await post(body, signed),
      tamperedBody: await post(body.replace('"READY"', '"FAILED"'), signed),
      wrongSecret: await post(body, signatureHeader(`${SECRET}x`, body, now)),
      changedTimestamp: await post(body, signed.replace(`t=${now}`, `t=${now - 1}`)),
      noSignature: await post(body, ''),
    };

    expect(statuses).toEqual({
      genuine: 204,
      tamperedBody: 401,
      wrongSecret: 401,
      changedTimestamp: 401,
      noSignature: 401,
    });
  });

  it('the documented snippet rejects a timestamp more than five minutes off, and accepts one within', async () => {
    const [event] = sampleEvents(1);
    if (!event) throw new Error('no event');
    const attemptAt = (secondsAgo: number) =>
      deliverWebhook({
        url: receiver.url,
        secret: SECRET,
        eventId: event.id,
        body: JSON.stringify(event),
        now: new Date(Date.now() - secondsAgo * 1000),
        timeoutMs: 5000,
        fetch,
      });

    const outcomes = {
      fourMinutesAgo: await attemptAt(240),
      sixMinutesAgo: await attemptAt(360),
      sixMinutesAhead: await attemptAt(-360),
    };

    expect(outcomes).toEqual({
      fourMinutesAgo: { outcome: 'delivered', status: 204 },
      sixMinutesAgo: { outcome: 'retry', reason: 'HTTP 401', status: 401 },
      sixMinutesAhead: { outcome: 'retry', reason: 'HTTP 401', status: 401 },
    });
  });

  it('the documented snippet accepts a header with several v1 signatures when one of them matches', () => {
    const body = Buffer.from('{"id":"evt_1"}');
    const good = signatureHeader(SECRET, body, T);
    const other = signatureHeader('another-secret', body, T).split(',')[1];

    expect(verify(body, `${good.split(',')[0]},${other},${good.split(',')[1]}`, SECRET, T)).toBe(true);
    expect(verify(body, `${good.split(',')[0]},${other}`, SECRET, T)).toBe(false);
  });

  describe('properties', () => {
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
      fc.string({ unit: 'grapheme', maxLength: 500 }).map((text) => Buffer.from(text, 'utf8')),
    );
    const secrets = fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), fc.string({ unit: 'grapheme', minLength: 1 }));
    const times = fc.integer({ min: 0, max: 99_999_999_999 });
    const skews = fc.integer({ min: -300, max: 300 });

    it('verifies whatever was signed, for any body, secret and time within the tolerance', () => {
      fc.assert(
        fc.property(bodies, secrets, times, skews, (body, secret, t, skew) => {
          expect(verify(body, signatureHeader(secret, body, t), secret, t + skew)).toBe(true);
        }),
      );
    });

    it('rejects the signature once any single byte of the body changes', () => {
      fc.assert(
        fc.property(
          bodies.filter((body) => body.length > 0),
          secrets,
          times,
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          (body, secret, t, position, flip) => {
            const header = signatureHeader(secret, body, t);
            const changed = Buffer.from(body);
            const index = position % changed.length;
            changed[index] = (changed[index] ?? 0) ^ flip;

            expect(verify(changed, header, secret, t)).toBe(false);
          },
        ),
      );
    });

    it('rejects any time outside the tolerance, and any other secret', () => {
      fc.assert(
        fc.property(
          bodies,
          secrets,
          secrets,
          times,
          fc.integer({ min: 301, max: 10_000_000 }),
          (body, secret, other, t, skew) => {
            fc.pre(other !== secret);
            const header = signatureHeader(secret, body, t);

            expect(verify(body, header, secret, t + skew)).toBe(false);
            expect(verify(body, header, secret, t - skew)).toBe(false);
            expect(verify(body, header, other, t)).toBe(false);
          },
        ),
      );
    });
  });
});
