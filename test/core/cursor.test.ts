import fc from 'fast-check';
import { decodeCursor, encodeCursor } from '../../lambda/core/cursor';
import { ApiError } from '../../lambda/core/errors';
import { VIDEO_ID_PATTERN } from '../../lambda/core/playback-token';

const videoId = fc.stringMatching(VIDEO_ID_PATTERN);
const isoTime = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((date) => date.toISOString());
const cursor = fc.record({ id: videoId, createdAt: isoTime });
const toBase64url = (text: string): string => Buffer.from(text).toString('base64url');

/** The decoder's only failure is a 400 in the API's terms, never a crash. */
function expectRefused(text: string): void {
  let thrown: unknown;
  try {
    decodeCursor(text);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ApiError);
  expect(thrown).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
}

describe('page cursors', () => {
  it('decode to the cursor they were encoded from', () => {
    fc.assert(
      fc.property(cursor, (original) => {
        const text = encodeCursor(original);

        expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(text)).toEqual(original);
      }),
    );
  });

  it('refuse any garbage string with a 400', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.stringMatching(/^[A-Za-z0-9_-]{0,200}$/)),
        expectRefused,
      ),
    );
  });

  it('refuse base64url of any JSON that is not a cursor, or of random bytes, with a 400', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json().map(toBase64url),
          fc.uint8Array().map((bytes) => Buffer.from(bytes).toString('base64url')),
        ),
        expectRefused,
      ),
    );
  });

  it('refuse a well-formed cursor with an extra field, a bad id or a bad time, with a 400', () => {
    const tampered = fc.oneof(
      cursor.map((valid) => ({ ...valid, ownerId: 'someone-else' })),
      fc.record({ id: fc.string().filter((id) => !VIDEO_ID_PATTERN.test(id)), createdAt: isoTime }),
      fc.record({ id: videoId, createdAt: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) }),
      cursor.map(({ id }) => ({ id })),
    );

    fc.assert(
      fc.property(tampered, (value) => {
        expectRefused(toBase64url(JSON.stringify(value)));
      }),
    );
  });
});
