import * as z from 'zod';

/**
 * The kinds of value a setting takes. Each builds a zod schema whose every issue reads as one
 * "expected …" phrase, kept in `EXPECTED`, so that an error message and the docs table say the
 * same thing about the same range.
 */
export const EXPECTED = z.registry<{ readonly expected: string }>();

function expecting<T extends z.ZodType>(schema: T, expected: string): T {
  EXPECTED.add(schema, { expected });
  return schema;
}

/** A whole number from `min` to `max`, both included. */
export function integer(min: number, max: number) {
  const expected = `an integer from ${min} to ${max}`;
  return expecting(z.int({ error: expected }).min(min).max(max), expected);
}

/** One of a fixed set of values (strings or numbers). */
export function oneOf<const T extends readonly [z.core.util.Literal, ...z.core.util.Literal[]]>(values: T) {
  const expected = `one of ${values.join(', ')}`;
  return expecting(z.literal(values, { error: expected }), expected);
}

/** A string matching `pattern`; `expected` says in words what it matches. */
export function text(pattern: RegExp, expected: string) {
  return expecting(z.string({ error: expected }).regex(pattern), expected);
}

/** A list of at least one string matching `pattern`; an item that does not is named by its index. */
export function list(pattern: RegExp, expected: string) {
  const expectedList = `a non-empty list of ${expected}`;
  return expecting(z.array(text(pattern, expected), { error: expectedList }).min(1), expectedList);
}

/** The schema under `.default()` and `.optional()`: the one a value kind built. */
export function valueKind(schema: z.ZodType): z.ZodType {
  let inner = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
  return inner;
}

/** The phrase a setting's values are described by, in errors and in the docs. */
export function expectedOf(schema: z.ZodType): string {
  const entry = EXPECTED.get(valueKind(schema));
  if (!entry) throw new Error('a setting must be built from a value kind of lib/settings/values.ts');
  return entry.expected;
}

/** The bounds an `integer` kind accepts, for code outside the schema that checks the same range. */
export function integerRange(schema: z.ZodType): { readonly min: number; readonly max: number } {
  const kind = valueKind(schema);
  if (!(kind instanceof z.ZodNumber) || kind.minValue === null || kind.maxValue === null) {
    throw new Error('only a setting built from integer() has a range');
  }
  return { min: kind.minValue, max: kind.maxValue };
}
