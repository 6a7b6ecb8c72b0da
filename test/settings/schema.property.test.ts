import fc from 'fast-check';
import * as z from 'zod';
import { ConfigError, DEFAULT_CONFIG, OPTIONAL_SETTINGS, resolveConfig } from '../../lib/config';
import { SETTING_FIELDS, SETTING_NAMES } from '../../lib/settings/schema';
import { valueKind } from '../../lib/settings/values';

/** The settings whose values are integers in a range, with that range as the schema holds it. */
const numericRanges = SETTING_NAMES.flatMap((name) => {
  const kind = valueKind(SETTING_FIELDS[name]);
  return kind instanceof z.ZodNumber ? [{ name, min: kind.minValue ?? 0, max: kind.maxValue ?? 0 }] : [];
});

describe('the settings schema', () => {
  it('gives every setting a default or lists it as optional, never both', () => {
    const defaulted = Object.keys(DEFAULT_CONFIG);

    expect([...defaulted, ...OPTIONAL_SETTINGS].sort()).toEqual([...SETTING_NAMES].sort());
    expect(defaulted.filter((name) => (OPTIONAL_SETTINGS as readonly string[]).includes(name))).toEqual([]);
    expect(numericRanges.length).toBeGreaterThan(15);
  });

  it.each(numericRanges)('keeps the default of $name within its range, $min to $max', ({ name, min, max }) => {
    const value = DEFAULT_CONFIG[name as keyof typeof DEFAULT_CONFIG];

    expect(value).toBeGreaterThanOrEqual(min);
    expect(value).toBeLessThanOrEqual(max);
  });

  it.each(Object.entries(DEFAULT_CONFIG))('accepts the default of %s when it is given explicitly', (name, value) => {
    expect(resolveConfig({ [name]: value })).toEqual(DEFAULT_CONFIG);
  });

  it('takes every numeric setting anywhere in its range, ends included, unless a rule between settings refuses it (property-based)', () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom(...numericRanges)
          .chain((range) =>
            fc.tuple(fc.constant(range), fc.oneof(fc.constantFrom(range.min, range.max), fc.integer(range))),
          ),
        ([range, value]) => {
          let config: object;
          try {
            config = resolveConfig({ [range.name]: value });
          } catch (error) {
            // Beside the other defaults, a rule between settings may refuse it; its own range may not.
            expect((error as Error).message).toMatch(/expected at (most|least) [a-zA-Z]+ \(\d+\), received/);
            return;
          }
          expect(config).toMatchObject({ [range.name]: value });
        },
      ),
    );
  });

  it('refuses a value just outside a numeric range, naming the field, the range and the value (property-based)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...numericRanges),
        fc.constantFrom('below', 'above'),
        fc.integer({ min: 1, max: 1000 }),
        (range, side, distance) => {
          const value = side === 'below' ? range.min - distance : range.max + distance;

          expect(() => resolveConfig({ [range.name]: value })).toThrow(
            new ConfigError(
              `Invalid config "vod.${range.name}": expected an integer from ${range.min} to ${range.max}, received ${value}`,
            ),
          );
        },
      ),
    );
  });

  it('refuses any unknown setting, naming it (property-based)', () => {
    const unknownName = fc
      .string({ minLength: 1, maxLength: 30 })
      .filter((name) => !(SETTING_NAMES as readonly string[]).includes(name));
    fc.assert(
      fc.property(unknownName, fc.jsonValue(), (name, value) => {
        expect(() => resolveConfig({ [name]: value })).toThrow(
          `Invalid config "vod.${name}": expected one of the known settings (`,
        );
        expect(() => resolveConfig(JSON.stringify({ region: 'eu-west-1', [name]: value }))).toThrow(ConfigError);
      }),
    );
  });
});
