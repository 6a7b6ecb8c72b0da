import fc from 'fast-check';
import { VIDEO_ID_PATTERN } from '../../lambda/core/playback-token';
import {
  CompleteUploadRequestSchema,
  CreateVideoRequestSchema,
  ListVideosQuerySchema,
  UpdateVideoRequestSchema,
  VideoIdSchema,
} from '../../lambda/core/schemas';
import {
  createBodies,
  invalidCompleteBody,
  invalidUpdateBody,
  validCompleteBody,
  validUpdateBody,
} from '../support/arbitraries';

const { valid: validCreate, invalid: invalidCreate } = createBodies();

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
      fc.property(validUpdateBody, (body) => {
        expect(UpdateVideoRequestSchema.safeParse(body)).toEqual({ success: true, data: body });
      }),
    );
  });

  it('refuse an empty update and an update of any other field', () => {
    fc.assert(
      fc.property(invalidUpdateBody, (body) => {
        expect(UpdateVideoRequestSchema.safeParse(body).success).toBe(false);
      }),
    );
  });

  it('accept part lists within S3 limits and refuse those outside them', () => {
    fc.assert(
      fc.property(validCompleteBody, invalidCompleteBody, (valid, invalid) => {
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

  it('refuse text that is not well-formed Unicode (a lone surrogate) in every free-text field', () => {
    // Prepare: a valid body, and a lone high or low surrogate somewhere in one text field.
    const body = { title: 'A', visibility: 'public', fileName: 'a.mp4', contentType: 'video/mp4', sizeBytes: 1 };
    const loneSurrogate = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff');
    const field = fc.constantFrom('title', 'description', 'fileName');

    fc.assert(
      fc.property(field, fc.string({ maxLength: 20 }), loneSurrogate, (name, text, surrogate) => {
        // Act
        const result = CreateVideoRequestSchema.safeParse({ ...body, [name]: `a${text}${surrogate}` });

        // Assess
        expect(result.success).toBe(false);
      }),
    );
    expect(CreateVideoRequestSchema.safeParse({ ...body, title: 'Caf\u00e9 \ud83c\udfac' }).success).toBe(true);
  });
});
