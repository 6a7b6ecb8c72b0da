import fc from 'fast-check';
import { VIDEO_ID_PATTERN } from '../../lambda/core/playback-token';
import {
  CompleteUploadRequestSchema,
  CreateVideoRequestSchema,
  ListVideosQuerySchema,
  S3_MAX_PARTS,
  UpdateVideoRequestSchema,
  VideoIdSchema,
} from '../../lambda/core/schemas';

const withoutControlCharacters = (text: string): string => text.replace(/\p{Cc}/gu, '');
/** Up to `codePoints` code points, so at most twice as many UTF-16 units (what `.length` counts). */
const text = (minLength: number, codePoints: number) =>
  fc
    .string({ unit: 'binary', maxLength: codePoints })
    .map(withoutControlCharacters)
    .filter((value) => value.length >= minLength);

const title = text(1, 100);
const description = fc.oneof(text(0, 2500), fc.constantFrom('line one\nline two', 'tab\there', 'crlf\r\n'));
const visibility = fc.constantFrom('public', 'private');
const fileName = text(1, 127).map((name) => name.replace(/[/\\]/g, '_'));
const mediaType = fc.stringMatching(/^[A-Za-z0-9!#$&^_.+-]{1,64}\/[A-Za-z0-9!#$&^_.+-]{1,64}$/);
const sizeBytes = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

const validCreate = fc.record(
  { title, description, visibility, fileName, contentType: mediaType, sizeBytes },
  { requiredKeys: ['title', 'visibility', 'fileName', 'contentType', 'sizeBytes'] },
);

/** A JSON value of any type but `type`. */
const notA = (type: 'string' | 'number'): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.object({ maxDepth: 1 }),
    type === 'string' ? fc.integer() : fc.string(),
  );

const controlCharacter = fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code));
const lineBreakOrTab = (char: string) => ['\t', '\n', '\r'].includes(char);

/** A valid create body with exactly one thing wrong, and what it is. */
const invalidCreate = fc.oneof(
  fc
    .tuple(validCreate, fc.constantFrom('title', 'visibility', 'fileName', 'contentType', 'sizeBytes'))
    .map(([body, field]) => {
      const { [field]: _dropped, ...rest } = body;
      return rest;
    }),
  fc
    .tuple(
      validCreate,
      fc.string().filter((key) => !(key in CreateVideoRequestSchema.shape)),
      fc.json(),
    )
    .map(([body, key, value]) => ({ ...body, [key]: JSON.parse(value) })),
  fc.tuple(validCreate, notA('string')).map(([body, value]) => ({ ...body, title: value })),
  fc.tuple(validCreate, notA('string')).map(([body, value]) => ({ ...body, description: value })),
  fc.tuple(validCreate, notA('number')).map(([body, value]) => ({ ...body, sizeBytes: value })),
  validCreate.map((body) => ({ ...body, title: '' })),
  fc.tuple(validCreate, fc.integer({ min: 201, max: 1000 })).map(([body, n]) => ({ ...body, title: 'x'.repeat(n) })),
  fc.tuple(validCreate, controlCharacter).map(([body, char]) => ({ ...body, title: `a${char}b` })),
  fc
    .tuple(
      validCreate,
      controlCharacter.filter((char) => !lineBreakOrTab(char)),
    )
    .map(([body, char]) => ({ ...body, description: `a${char}b` })),
  validCreate.map((body) => ({ ...body, description: 'x'.repeat(5001) })),
  fc
    .tuple(
      validCreate,
      fc.string().filter((v) => v !== 'public' && v !== 'private'),
    )
    .map(([body, value]) => ({
      ...body,
      visibility: value,
    })),
  fc
    .tuple(validCreate, fc.constantFrom('a/b.mp4', '..\\x.mp4', '../../etc/passwd', '', 'x'.repeat(256)))
    .map(([body, name]) => ({ ...body, fileName: name })),
  fc
    .tuple(validCreate, fc.constantFrom('video', 'video/', '/mp4', 'video/mp4; codecs=avc1', 'video mp4', ''))
    .map(([body, type]) => ({ ...body, contentType: type })),
  fc.tuple(validCreate, fc.oneof(fc.integer({ max: 0 }), fc.double({ noInteger: true }))).map(([body, size]) => ({
    ...body,
    sizeBytes: size,
  })),
);

const validUpdate = fc
  .record({ title, description, visibility }, { requiredKeys: [] })
  .filter((body) => Object.keys(body).length > 0);

const etag = text(1, 64);
const validComplete = fc.record({
  parts: fc.array(fc.record({ partNumber: fc.integer({ min: 1, max: S3_MAX_PARTS }), etag }), {
    minLength: 1,
    maxLength: 20,
  }),
});
const invalidComplete = fc.oneof(
  fc.constant({ parts: [] }),
  fc.constant({}),
  validComplete.map((body) => ({ ...body, extra: true })),
  fc
    .tuple(
      validComplete,
      fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: S3_MAX_PARTS + 1 }), fc.double({ noInteger: true })),
    )
    .map(([body, partNumber]) => ({ parts: [...body.parts, { partNumber, etag: 'e' }] })),
  fc
    .tuple(validComplete, fc.constantFrom('', 'x'.repeat(129), 'a\u0000b', 'a\nb'))
    .map(([body, bad]) => ({ parts: [...body.parts, { partNumber: 1, etag: bad }] })),
  validComplete.map((body) => ({ parts: [...body.parts, { partNumber: 1, etag: 'e', size: 5 }] })),
);

describe('request schemas', () => {
  it('accept every valid create body, unchanged', () => {
    fc.assert(
      fc.property(validCreate, (body) => {
        const result = CreateVideoRequestSchema.safeParse(body);

        expect(result.success).toBe(true);
        expect(result.data).toEqual(body);
      }),
    );
  });

  it('refuse a create body with a missing, extra, mistyped or out-of-range field', () => {
    fc.assert(
      fc.property(invalidCreate, (body) => {
        expect(CreateVideoRequestSchema.safeParse(body).success).toBe(false);
      }),
    );
  });

  it('refuse any JSON value that is not an object as a create, update or complete body', () => {
    const notAnObject = fc
      .jsonValue()
      .filter((value) => value === null || typeof value !== 'object' || Array.isArray(value));

    fc.assert(
      fc.property(notAnObject, (value) => {
        expect(CreateVideoRequestSchema.safeParse(value).success).toBe(false);
        expect(UpdateVideoRequestSchema.safeParse(value).success).toBe(false);
        expect(CompleteUploadRequestSchema.safeParse(value).success).toBe(false);
      }),
    );
  });

  it('accept any non-empty update of title, description and visibility', () => {
    fc.assert(
      fc.property(validUpdate, (body) => {
        expect(UpdateVideoRequestSchema.safeParse(body)).toEqual({ success: true, data: body });
      }),
    );
  });

  it('refuse an empty update and an update of any other field', () => {
    const invalidUpdate = fc.oneof(
      fc.constant({}),
      fc
        .tuple(validUpdate, fc.constantFrom('status', 'ownerId', 'id', 'sizeBytes', 'createdAt'))
        .map(([body, field]) => ({ ...body, [field]: 'x' })),
      fc.tuple(validUpdate, notA('string')).map(([body, value]) => ({ ...body, title: value })),
    );

    fc.assert(
      fc.property(invalidUpdate, (body) => {
        expect(UpdateVideoRequestSchema.safeParse(body).success).toBe(false);
      }),
    );
  });

  it('accept part lists within S3 limits and refuse those outside them', () => {
    fc.assert(
      fc.property(validComplete, invalidComplete, (valid, invalid) => {
        expect(CompleteUploadRequestSchema.safeParse(valid).success).toBe(true);
        expect(CompleteUploadRequestSchema.safeParse(invalid).success).toBe(false);
      }),
    );
  });

  it('accept list queries with a limit of 1 to 999 and a base64url cursor, and refuse anything else', () => {
    const validQuery = fc.record(
      {
        limit: fc.integer({ min: 1, max: 999 }).map(String),
        cursor: fc.stringMatching(/^[A-Za-z0-9_-]{1,512}$/),
      },
      { requiredKeys: [] },
    );
    const invalidQuery = fc.oneof(
      fc
        .string()
        .filter((limit) => !/^[1-9][0-9]{0,2}$/.test(limit))
        .map((limit) => ({ limit })),
      fc
        .string()
        .filter((cursor) => !/^[A-Za-z0-9_-]{1,512}$/.test(cursor))
        .map((cursor) => ({ cursor })),
      fc
        .string()
        .filter((key) => key !== 'limit' && key !== 'cursor')
        .map((key) => ({ [key]: '1' })),
    );

    fc.assert(
      fc.property(validQuery, invalidQuery, (valid, invalid) => {
        expect(ListVideosQuerySchema.safeParse(valid).success).toBe(true);
        expect(ListVideosQuerySchema.safeParse(invalid).success).toBe(false);
      }),
    );
  });

  it('accept exactly the video ids the playback token format can carry', () => {
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(VIDEO_ID_PATTERN), fc.string({ unit: 'binary', maxLength: 80 })), (id) => {
        expect(VideoIdSchema.safeParse(id).success).toBe(VIDEO_ID_PATTERN.test(id));
      }),
    );
  });
});
