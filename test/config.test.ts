import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ConfigError, DEFAULT_CONFIG, OPTIONAL_SETTINGS, resolveConfig } from '../lib/config';

describe('configuration', () => {
  it('uses the documented defaults when nothing is overridden', () => {
    expect(resolveConfig({})).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toMatchObject({
      region: 'eu-west-1',
      priceClass: 'PriceClass_100',
      logRetentionDays: 365,
      cdnRateLimit: 3000,
      apiRateLimit: 1000,
      uploadCreationRateLimit: 30,
      maxUploadBytes: 53_687_091_200,
      uploadUrlTtlSeconds: 3600,
      publicPlaybackTtlSeconds: 86_400,
      privatePlaybackTtlSeconds: 14_400,
      metadataCacheTtlSeconds: 300,
      apiThrottleRatePerSecond: 1000,
      apiThrottleBurst: 2000,
      uploadCreationThrottleRatePerSecond: 10,
      uploadCreationThrottleBurst: 20,
    });
    expect(DEFAULT_CONFIG.allowedContentTypes).toEqual([
      'video/mp4',
      'video/quicktime',
      'video/x-matroska',
      'video/webm',
      'video/x-msvideo',
      'video/mpeg',
      'video/mp2t',
      'video/x-m4v',
    ]);
    expect(DEFAULT_CONFIG.userPoolId).toBeUndefined();
  });

  it('takes overrides from an object or from a JSON string (as `cdk -c vod=...` passes it)', () => {
    expect(resolveConfig({ region: 'us-west-2' }).region).toBe('us-west-2');
    expect(resolveConfig('{"priceClass":"PriceClass_All"}').priceClass).toBe('PriceClass_All');
  });

  it.each([
    [
      { region: 'moon-1' },
      'Invalid config "vod.region": expected an AWS region name such as eu-west-1, received "moon-1"',
    ],
    [
      { priceClass: 'PriceClass_50' },
      'Invalid config "vod.priceClass": expected one of PriceClass_100, PriceClass_200, PriceClass_All, received "PriceClass_50"',
    ],
    [{ logRetentionDays: 10 }, 'Invalid config "vod.logRetentionDays": expected one of'],
    [
      { manifestTtlSeconds: 0 },
      'Invalid config "vod.manifestTtlSeconds": expected an integer from 1 to 3600, received 0',
    ],
    [{ cdnRateLimit: 9 }, 'Invalid config "vod.cdnRateLimit": expected an integer from 10 to 2000000000, received 9'],
    [{ allowedOrigins: ['http://evil.example'] }, 'Invalid config "vod.allowedOrigins[0]"'],
    [{ allowedOrigins: [] }, 'Invalid config "vod.allowedOrigins": expected a non-empty list'],
    [{ domainNames: ['media.example.com'] }, 'both domainNames and certificateArn, or neither'],
    [{ uploadCreationRateLimit: 2000 }, 'expected at most apiRateLimit (1000), received 2000'],
    [{ rateLimit: 5 }, 'Invalid config "vod.rateLimit": expected one of the known settings'],
    [
      { maxUploadBytes: 5_497_558_138_881 },
      'Invalid config "vod.maxUploadBytes": expected an integer from 1 to 5497558138880, received 5497558138881',
    ],
    [{ maxUploadBytes: 1.5 }, 'Invalid config "vod.maxUploadBytes": expected an integer from 1 to'],
    [{ allowedContentTypes: [] }, 'Invalid config "vod.allowedContentTypes": expected a non-empty list'],
    [
      { allowedContentTypes: ['video/mp4', 'audio/mpeg'] },
      'Invalid config "vod.allowedContentTypes[1]": expected video media types such as video/mp4, received "audio/mpeg"',
    ],
    [
      { uploadUrlTtlSeconds: 59 },
      'Invalid config "vod.uploadUrlTtlSeconds": expected an integer from 60 to 21600, received 59',
    ],
    [
      { publicPlaybackTtlSeconds: 604_801 },
      'Invalid config "vod.publicPlaybackTtlSeconds": expected an integer from 60 to 604800, received 604801',
    ],
    [
      { privatePlaybackTtlSeconds: 30 },
      'Invalid config "vod.privatePlaybackTtlSeconds": expected an integer from 60 to 604800, received 30',
    ],
    [
      { metadataCacheTtlSeconds: 0 },
      'Invalid config "vod.metadataCacheTtlSeconds": expected an integer from 1 to 86400, received 0',
    ],
    [
      { apiThrottleRatePerSecond: 0 },
      'Invalid config "vod.apiThrottleRatePerSecond": expected an integer from 1 to 1000000, received 0',
    ],
    [
      { apiThrottleBurst: 999 },
      'Invalid config "vod.apiThrottleBurst": expected at least apiThrottleRatePerSecond (1000), received 999',
    ],
    [
      { uploadCreationThrottleBurst: 5 },
      'Invalid config "vod.uploadCreationThrottleBurst": expected at least uploadCreationThrottleRatePerSecond (10), received 5',
    ],
    [
      { uploadCreationThrottleRatePerSecond: 1500, uploadCreationThrottleBurst: 3000 },
      'Invalid config "vod.uploadCreationThrottleRatePerSecond": expected at most apiThrottleRatePerSecond (1000), received 1500',
    ],
    [
      { cacheMaxEcpuPerSecond: 999 },
      'Invalid config "vod.cacheMaxEcpuPerSecond": expected an integer from 1000 to 15000000, received 999',
    ],
    [{ userPoolId: 'eu-west-1_AbC123' }, 'both userPoolId and userPoolClientId, or neither'],
    [
      { userPoolId: 'us-east-1_AbC123', userPoolClientId: 'abc123' },
      'Invalid config "vod.userPoolId": expected a user pool in the platform region (eu-west-1_…), received "us-east-1_AbC123"',
    ],
    [{ userPoolId: 'pool', userPoolClientId: 'abc123' }, 'Invalid config "vod.userPoolId": expected a Cognito user'],
    ['not json', 'Invalid config "vod": expected a JSON object'],
    [[1, 2], 'Invalid config "vod": expected an object'],
  ])('rejects %j with a message naming the field, the expectation and the value', (overrides, message) => {
    expect(() => resolveConfig(overrides)).toThrow(ConfigError);
    expect(() => resolveConfig(overrides)).toThrow(message);
  });

  it('either resolves or throws a ConfigError for any JSON value (property-based)', () => {
    const fields = fc.constantFrom(...Object.keys(DEFAULT_CONFIG), ...OPTIONAL_SETTINGS);
    fc.assert(
      fc.property(fc.dictionary(fields, fc.jsonValue(), { maxKeys: 4 }), (overrides) => {
        try {
          const config = resolveConfig(overrides);
          expect(config.cdnRateLimit).toBeGreaterThanOrEqual(10);
          expect(config.uploadCreationRateLimit).toBeLessThanOrEqual(config.apiRateLimit);
          expect(config.apiThrottleBurst).toBeGreaterThanOrEqual(config.apiThrottleRatePerSecond);
          expect(config.uploadCreationThrottleBurst).toBeGreaterThanOrEqual(config.uploadCreationThrottleRatePerSecond);
          expect((config.userPoolId === undefined) === (config.userPoolClientId === undefined)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
        }
      }),
    );
  });

  it('accepts every valid rate limit and window (property-based)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 2_000_000_000 }), fc.constantFrom(60, 120, 300, 600), (limit, window) => {
        const config = resolveConfig({
          apiRateLimit: limit,
          cdnRateLimit: limit,
          uploadCreationRateLimit: 10,
          rateWindowSeconds: window,
        });
        expect([config.apiRateLimit, config.rateWindowSeconds]).toEqual([limit, window]);
      }),
    );
  });

  it('accepts every throttle whose burst covers its rate, and refuses every other (property-based)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 1_000_000 }), (rate, burst) => {
        const overrides = {
          apiThrottleRatePerSecond: rate,
          apiThrottleBurst: burst,
          uploadCreationThrottleRatePerSecond: 1,
        };
        if (burst >= rate) {
          expect(resolveConfig(overrides)).toMatchObject({ apiThrottleRatePerSecond: rate, apiThrottleBurst: burst });
        } else {
          expect(() => resolveConfig(overrides)).toThrow(`expected at least apiThrottleRatePerSecond (${rate})`);
        }
      }),
    );
  });

  it("accepts any upload size up to S3's 5 TiB object limit (property-based)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5_497_558_138_880 }), (bytes) => {
        expect(resolveConfig({ maxUploadBytes: bytes }).maxUploadBytes).toBe(bytes);
      }),
    );
  });

  it('accepts an existing user pool in the platform region with its client', () => {
    const config = resolveConfig({
      region: 'eu-central-1',
      userPoolId: 'eu-central-1_Xy9',
      userPoolClientId: 'a1b2c3',
    });

    expect([config.userPoolId, config.userPoolClientId]).toEqual(['eu-central-1_Xy9', 'a1b2c3']);
  });

  it('documents every setting in the configuration table (docs/configuration.md)', () => {
    const docs = readFileSync(join(__dirname, '..', 'docs', 'configuration.md'), 'utf8');
    const table = docs.slice(
      docs.indexOf('<!-- settings-table:start -->'),
      docs.indexOf('<!-- settings-table:end -->'),
    );
    const settings = [...Object.keys(DEFAULT_CONFIG), ...OPTIONAL_SETTINGS];

    for (const setting of settings) expect(table).toMatch(new RegExp(`^\\| \`${setting}\` +\\|`, 'm'));
  });
});
