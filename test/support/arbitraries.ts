import fc from 'fast-check';
import { CreateVideoRequestSchema, S3_MAX_PARTS } from '../../lambda/core/schemas';

/** Generators of valid and of invalid API requests, shared by the schema and the handler properties. */

const withoutControlCharacters = (text: string): string => text.replace(/\p{Cc}/gu, '');

/** Text without control characters, of up to `codePoints` code points (at most twice as many UTF-16 units). */
export const text = (minLength: number, codePoints: number): fc.Arbitrary<string> =>
  fc
    .string({ unit: 'binary', maxLength: codePoints })
    .map(withoutControlCharacters)
    .filter((value) => value.length >= minLength);

export const title = text(1, 100);
export const description = fc.oneof(text(0, 2500), fc.constantFrom('line one\nline two', 'tab\there', 'crlf\r\n'));
export const visibility = fc.constantFrom('public', 'private');
export const fileName = text(1, 127).map((name) => name.replace(/[/\\]/g, '_'));
export const mediaType = fc.stringMatching(/^[A-Za-z0-9!#$&^_.+-]{1,64}\/[A-Za-z0-9!#$&^_.+-]{1,64}$/);

/** A JSON value of any type but `type`. */
export const jsonOtherThan = (type: 'string' | 'number'): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.object({ maxDepth: 1 }),
    type === 'string' ? fc.integer() : fc.string(),
  );

const controlCharacter = fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code));
const isLineBreakOrTab = (char: string): boolean => ['\t', '\n', '\r'].includes(char);

/**
 * Valid createVideo bodies, and bodies with exactly one thing wrong (a missing, extra, mistyped or
 * out-of-range field), over the given content types and sizes.
 */
export function createBodies(options: { contentType?: fc.Arbitrary<string>; sizeBytes?: fc.Arbitrary<number> } = {}): {
  valid: fc.Arbitrary<Record<string, unknown>>;
  invalid: fc.Arbitrary<Record<string, unknown>>;
} {
  const valid: fc.Arbitrary<Record<string, unknown>> = fc.record(
    {
      title,
      description,
      visibility,
      fileName,
      contentType: options.contentType ?? mediaType,
      sizeBytes: options.sizeBytes ?? fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    },
    { requiredKeys: ['title', 'visibility', 'fileName', 'contentType', 'sizeBytes'] },
  );
  const set = (field: string, value: fc.Arbitrary<unknown>) =>
    fc.tuple(valid, value).map(([body, bad]) => ({ ...body, [field]: bad }));
  const invalid = fc.oneof(
    fc
      .tuple(valid, fc.constantFrom('title', 'visibility', 'fileName', 'contentType', 'sizeBytes'))
      .map(([body, field]) => Object.fromEntries(Object.entries(body).filter(([key]) => key !== field))),
    fc
      .tuple(
        valid,
        fc.string().filter((key) => !(key in CreateVideoRequestSchema.shape)),
        fc.jsonValue(),
      )
      .map(([body, key, value]) => ({ ...body, [key]: value })),
    set('title', fc.oneof(jsonOtherThan('string'), fc.constant(''))),
    set(
      'title',
      fc.integer({ min: 201, max: 1000 }).map((n) => 'x'.repeat(n)),
    ),
    set(
      'title',
      controlCharacter.map((char) => `a${char}b`),
    ),
    set('description', jsonOtherThan('string')),
    set(
      'description',
      controlCharacter.filter((char) => !isLineBreakOrTab(char)).map((char) => `a${char}b`),
    ),
    set('description', fc.constant('x'.repeat(5001))),
    set(
      'visibility',
      fc.string().filter((value) => value !== 'public' && value !== 'private'),
    ),
    set('fileName', fc.constantFrom('a/b.mp4', '..\\x.mp4', '../../etc/passwd', '', 'x'.repeat(256))),
    set('contentType', fc.constantFrom('video', 'video/', '/mp4', 'video/mp4; codecs=avc1', 'video mp4', '')),
    set('sizeBytes', fc.oneof(jsonOtherThan('number'), fc.integer({ max: 0 }), fc.double({ noInteger: true }))),
  );
  return { valid, invalid };
}

export const validUpdateBody = fc
  .record({ title, description, visibility }, { requiredKeys: [] })
  .filter((body) => Object.keys(body).length > 0);

export const invalidUpdateBody = fc.oneof(
  fc.constant({}),
  fc
    .tuple(validUpdateBody, fc.constantFrom('status', 'ownerId', 'id', 'sizeBytes', 'createdAt', 'upload'))
    .map(([body, field]) => ({ ...body, [field]: 'x' })),
  fc.tuple(validUpdateBody, jsonOtherThan('string')).map(([body, value]) => ({ ...body, title: value })),
  fc
    .tuple(
      validUpdateBody,
      fc.string().filter((v) => v !== 'public' && v !== 'private'),
    )
    .map(([body, value]) => ({
      ...body,
      visibility: value,
    })),
);

const etag = text(1, 64);
export const validCompleteBody = fc.record({
  parts: fc.array(fc.record({ partNumber: fc.integer({ min: 1, max: S3_MAX_PARTS }), etag }), {
    minLength: 1,
    maxLength: 20,
  }),
});

export const invalidCompleteBody = fc.oneof(
  fc.constant({ parts: [] }),
  fc.constant({}),
  validCompleteBody.map((body) => ({ ...body, extra: true })),
  fc
    .tuple(
      validCompleteBody,
      fc.oneof(
        fc.integer({ max: 0 }),
        fc.integer({ min: S3_MAX_PARTS + 1 }),
        fc.double({ noInteger: true }),
        jsonOtherThan('number'),
      ),
    )
    .map(([body, partNumber]) => ({ parts: [...body.parts, { partNumber, etag: 'e' }] })),
  fc
    .tuple(validCompleteBody, fc.constantFrom('', 'x'.repeat(129), 'a\u0000b', 'a\nb'))
    .map(([body, bad]) => ({ parts: [...body.parts, { partNumber: 1, etag: bad }] })),
  validCompleteBody.map((body) => ({ parts: [...body.parts, { partNumber: 1, etag: 'e', size: 5 }] })),
);
