import fc from 'fast-check';
import {
  type CompletionEnvironmentValues,
  completionEnvironment,
  readCompletionSettings,
  readSubmitSettings,
  type SubmitEnvironmentValues,
  submitEnvironment,
} from '../../lambda/transcode/settings';
import { hostAndPort, optional, positiveInt, resourceName, url } from '../support/environment-values';

const submitValues: fc.Arbitrary<SubmitEnvironmentValues> = fc.record({
  tableName: resourceName,
  uploadBucket: resourceName,
  mediaBucket: resourceName,
  roleArn: resourceName,
  queueArn: resourceName,
  s3ForcePathStyle: optional(fc.boolean()),
});

const completionValues: fc.Arbitrary<CompletionEnvironmentValues> = fc.record({
  tableName: resourceName,
  mediaBucket: resourceName,
  cacheEndpoint: hostAndPort,
  cacheTls: fc.boolean(),
  cacheTtlSeconds: positiveInt,
  webhookQueueUrl: optional(url),
  s3ForcePathStyle: optional(fc.boolean()),
});

describe('the transcoding handlers environment', () => {
  it("reads back exactly what the submit handler's writer wrote (property-based)", () => {
    fc.assert(
      fc.property(submitValues, (given) => {
        const read = readSubmitSettings(submitEnvironment(given));

        expect(read).toEqual({ ...given, s3ForcePathStyle: given.s3ForcePathStyle ?? false });
      }),
    );
  });

  it("reads back exactly what the job state handler's writer wrote (property-based)", () => {
    fc.assert(
      fc.property(completionValues, (given) => {
        const read = readCompletionSettings(completionEnvironment(given));

        expect(read).toEqual({ ...given, s3ForcePathStyle: given.s3ForcePathStyle ?? false });
      }),
    );
  });

  it('leaves the webhook queue and the path-style flag unset unless given, as in a deployment without webhooks', () => {
    const variables = completionEnvironment({
      tableName: 'catalog',
      mediaBucket: 'media',
      cacheEndpoint: 'cache.example.com:6379',
      cacheTls: true,
      cacheTtlSeconds: 300,
    });

    expect(Object.keys(variables).sort()).toEqual(
      ['CACHE_ENDPOINT', 'CACHE_TLS', 'CACHE_TTL_SECONDS', 'CATALOG_TABLE_NAME', 'MEDIA_BUCKET_NAME'].sort(),
    );
  });

  it.each(['CACHE_TLS', 'CACHE_TTL_SECONDS'])(
    'refuses a job state environment without %s rather than assume a second default for it',
    (variable) => {
      const { [variable]: _, ...incomplete } = completionEnvironment({
        tableName: 'catalog',
        mediaBucket: 'media',
        cacheEndpoint: 'cache.example.com:6379',
        cacheTls: true,
        cacheTtlSeconds: 300,
      });

      expect(() => readCompletionSettings(incomplete)).toThrow(variable);
    },
  );
});
