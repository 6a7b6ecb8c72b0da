import fc from 'fast-check';

/** Generators of the values handler writers are given, as AWS or the twin would give them. */

/** A bucket, table, index or ARN-like name. */
export const resourceName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9:/._-]{0,62}$/);
/** An http(s) URL, without a trailing slash. */
export const url = fc
  .tuple(fc.constantFrom('https', 'http'), fc.domain(), fc.stringMatching(/^(\/[a-z0-9._-]{1,12}){0,3}$/))
  .map(([scheme, host, path]) => `${scheme}://${host}${path}`);
export const hostAndPort = fc
  .tuple(fc.domain(), fc.integer({ min: 1, max: 65_535 }))
  .map(([host, port]) => `${host}:${port}`);
export const positiveInt = fc.integer({ min: 1, max: 2 ** 40 });
export const optional = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.option(arbitrary, { nil: undefined });
