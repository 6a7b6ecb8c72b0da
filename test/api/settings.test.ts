import fc from 'fast-check';
import { API_ENV } from '../../lambda/api/routes';
import { type ApiEnvironmentValues, apiEnvironment, readSettings } from '../../lambda/api/settings';
import { hostAndPort, optional, positiveInt, resourceName, url } from '../support/environment-values';

const contentType = fc.stringMatching(/^video\/[a-z0-9.+-]{1,20}$/);
const origin = fc.oneof(fc.constant('*'), url);

const values: fc.Arbitrary<ApiEnvironmentValues> = fc
  .record({
    tableName: resourceName,
    ownerIndexName: resourceName,
    uploadBucket: resourceName,
    mediaBucket: resourceName,
    cacheEndpoint: hostAndPort,
    cacheTls: fc.boolean(),
    signingKeySecretArn: optional(resourceName),
    staticSigningKey: optional(fc.json()),
    jwt: fc.record({ issuer: url, audience: resourceName, jwksUrl: url }),
    allowedOrigins: fc.array(origin, { minLength: 1, maxLength: 4 }),
    s3ForcePathStyle: optional(fc.boolean()),
    webhookQueueUrl: optional(url),
    policy: fc.record({
      maxUploadBytes: positiveInt,
      allowedContentTypes: fc.array(contentType, { minLength: 1, maxLength: 8 }),
      uploadUrlTtlSeconds: positiveInt,
      publicPlaybackTtlSeconds: positiveInt,
      privatePlaybackTtlSeconds: positiveInt,
      cacheTtlSeconds: positiveInt,
      cdnBaseUrl: url,
    }),
  })
  .filter((value) => value.signingKeySecretArn !== undefined || value.staticSigningKey !== undefined);

/** Values as a deployment gives them: no twin-only variables, no webhooks. */
const deployed: ApiEnvironmentValues = {
  tableName: 'catalog',
  ownerIndexName: 'byOwner',
  uploadBucket: 'uploads',
  mediaBucket: 'media',
  cacheEndpoint: 'cache.example.com:6379',
  cacheTls: true,
  signingKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:keys',
  jwt: { issuer: 'https://idp.example.com/pool', audience: 'client', jwksUrl: 'https://idp.example.com/jwks.json' },
  allowedOrigins: ['*'],
  policy: {
    maxUploadBytes: 53_687_091_200,
    allowedContentTypes: ['video/mp4'],
    uploadUrlTtlSeconds: 3600,
    publicPlaybackTtlSeconds: 86_400,
    privatePlaybackTtlSeconds: 14_400,
    cacheTtlSeconds: 300,
    cdnBaseUrl: 'https://d111.cloudfront.net',
  },
};

describe('the API handlers environment', () => {
  it('reads back exactly what its writer wrote (property-based)', () => {
    fc.assert(
      fc.property(values, (given) => {
        // Act
        const read = readSettings(apiEnvironment(given));

        // Assess
        expect(read).toEqual({ ...given, s3ForcePathStyle: given.s3ForcePathStyle ?? false });
      }),
    );
  });

  it('writes, for a deployment, one variable per API_ENV name and no other (no webhook queue without webhooks)', () => {
    const variables = apiEnvironment(deployed);

    expect(Object.keys(variables).sort()).toEqual(
      Object.values(API_ENV)
        .filter((name) => name !== API_ENV.webhookQueueUrl)
        .sort(),
    );
    expect(variables).toMatchObject({
      CACHE_TLS: 'true',
      ALLOWED_CONTENT_TYPES: 'video/mp4',
      MAX_UPLOAD_BYTES: '53687091200',
    });
  });

  it.each([API_ENV.cacheTls, API_ENV.cacheTtlSeconds, API_ENV.uploadUrlTtlSeconds, API_ENV.allowedOrigins])(
    'refuses an environment without %s rather than assume a second default for it',
    (variable) => {
      const { [variable]: _, ...incomplete } = apiEnvironment(deployed);

      expect(() => readSettings(incomplete)).toThrow(variable);
    },
  );
});
