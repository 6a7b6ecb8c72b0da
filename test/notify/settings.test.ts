import fc from 'fast-check';
import { WEBHOOK_ENV, WEBHOOK_SECRET, WEBHOOK_TELEMETRY } from '../../lambda/notify/environment';
import { WEBHOOK_DELIVERY, WEBHOOK_RETRY } from '../../lambda/notify/retry-schedule';
import { readWebhookSettings, type WebhookEnvironmentValues, webhookEnvironment } from '../../lambda/notify/settings';
import { optional, resourceName, url } from '../support/environment-values';

const minimal = {
  [WEBHOOK_ENV.url]: 'https://hooks.example.test/vod',
  [WEBHOOK_ENV.secretArn]: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:webhook-AbCdEf',
  [WEBHOOK_ENV.queueUrl]: 'https://sqs.eu-west-1.amazonaws.com/000000000000/webhooks',
};

describe('the webhook handler settings', () => {
  it('reads the deployed environment, with the schedule and timeout defaults', () => {
    const settings = readWebhookSettings(minimal);

    expect(settings).toEqual({
      url: minimal[WEBHOOK_ENV.url],
      secretArn: minimal[WEBHOOK_ENV.secretArn],
      staticSecret: undefined,
      queueUrl: minimal[WEBHOOK_ENV.queueUrl],
      timeoutMs: WEBHOOK_DELIVERY.timeoutMs,
      retryBaseSeconds: WEBHOOK_RETRY.baseSeconds,
      retryCapSeconds: WEBHOOK_RETRY.capSeconds,
    });
  });

  it('takes the secret itself in the local twin, where there is no Secrets Manager', () => {
    const { [WEBHOOK_ENV.secretArn]: _, ...twin } = minimal;

    const settings = readWebhookSettings({
      ...twin,
      [WEBHOOK_SECRET]: 'twin-secret',
      [WEBHOOK_ENV.url]: 'http://127.0.0.1:9/h',
    });

    expect(settings).toMatchObject({ staticSecret: 'twin-secret', url: 'http://127.0.0.1:9/h' });
  });

  it('fails loudly on a missing secret, a URL that is not http(s), or a schedule beyond what SQS allows', () => {
    const { [WEBHOOK_ENV.secretArn]: _, ...noSecret } = minimal;

    expect(() => readWebhookSettings(noSecret)).toThrow(/WEBHOOK_SECRET_ARN/);
    expect(() => readWebhookSettings({ ...minimal, [WEBHOOK_ENV.url]: 'ftp://hooks.example.test' })).toThrow(
      /WEBHOOK_URL/,
    );
    expect(() => readWebhookSettings({ ...minimal, [WEBHOOK_ENV.retryCapSeconds]: '43201' })).toThrow(
      /WEBHOOK_RETRY_CAP_SECONDS/,
    );
    expect(() => readWebhookSettings({ ...minimal, [WEBHOOK_ENV.timeoutMs]: 'soon' })).toThrow(/WEBHOOK_TIMEOUT_MS/);
  });

  it('names the service vod-webhooks in the VodPlatform metrics namespace', () => {
    expect(WEBHOOK_TELEMETRY).toEqual({ serviceName: 'vod-webhooks', metricsNamespace: 'VodPlatform' });
  });

  it('reads back exactly what its writer wrote, with the defaults where the writer left them out (property-based)', () => {
    const seconds = fc.integer({ min: 0, max: WEBHOOK_RETRY.maxVisibilitySeconds });
    const values: fc.Arbitrary<WebhookEnvironmentValues> = fc
      .record({
        url,
        secretArn: optional(resourceName),
        staticSecret: optional(resourceName),
        queueUrl: url,
        timeoutMs: optional(fc.integer({ min: 100, max: 60_000 })),
        retryBaseSeconds: optional(seconds),
        retryCapSeconds: optional(seconds),
      })
      .filter((value) => value.secretArn !== undefined || value.staticSecret !== undefined);

    fc.assert(
      fc.property(values, (given) => {
        const read = readWebhookSettings(webhookEnvironment(given));

        expect(read).toEqual({
          ...given,
          timeoutMs: given.timeoutMs ?? WEBHOOK_DELIVERY.timeoutMs,
          retryBaseSeconds: given.retryBaseSeconds ?? WEBHOOK_RETRY.baseSeconds,
          retryCapSeconds: given.retryCapSeconds ?? WEBHOOK_RETRY.capSeconds,
        });
      }),
    );
  });

  it('writes, for a deployment, the receiver, the secret and the queue only', () => {
    const variables = webhookEnvironment({
      url: minimal[WEBHOOK_ENV.url],
      secretArn: minimal[WEBHOOK_ENV.secretArn],
      queueUrl: minimal[WEBHOOK_ENV.queueUrl],
    });

    expect(variables).toEqual(minimal);
  });
});
