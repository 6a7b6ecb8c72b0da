import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ConfigError, DEFAULT_CONFIG, resolveConfig } from '../lib/config';

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
    });
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
    ['not json', 'Invalid config "vod": expected a JSON object'],
    [[1, 2], 'Invalid config "vod": expected an object'],
  ])('rejects %j with a message naming the field, the expectation and the value', (overrides, message) => {
    expect(() => resolveConfig(overrides)).toThrow(ConfigError);
    expect(() => resolveConfig(overrides)).toThrow(message);
  });

  it('either resolves or throws a ConfigError for any JSON value (property-based)', () => {
    const fields = fc.constantFrom(...Object.keys(DEFAULT_CONFIG), 'account', 'originShieldRegion', 'domainNames');
    fc.assert(
      fc.property(fc.dictionary(fields, fc.jsonValue(), { maxKeys: 4 }), (overrides) => {
        try {
          const config = resolveConfig(overrides);
          expect(config.cdnRateLimit).toBeGreaterThanOrEqual(10);
          expect(config.uploadCreationRateLimit).toBeLessThanOrEqual(config.apiRateLimit);
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

  it('documents every setting in the README configuration table', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Default settings'));
    const settings = [...Object.keys(DEFAULT_CONFIG), 'account', 'originShieldRegion', 'domainNames', 'certificateArn'];

    for (const setting of settings) expect(table).toMatch(new RegExp(`^\\| \`${setting}\` +\\|`, 'm'));
  });
});
