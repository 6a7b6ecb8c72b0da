import fc from 'fast-check';
import { decideResponse, type ObjectRequest, type ResponseDecision } from '../../local/byte-ranges';

/** One valid byte-range-spec (RFC 9110 14.1.1), as data and as header text. */
type RangeSpec =
  | { readonly kind: 'from-to'; readonly first: number; readonly last: number }
  | { readonly kind: 'from'; readonly first: number }
  | { readonly kind: 'suffix'; readonly length: number };

const headerOf = (spec: RangeSpec): string => {
  switch (spec.kind) {
    case 'from-to':
      return `bytes=${spec.first}-${spec.last}`;
    case 'from':
      return `bytes=${spec.first}-`;
    case 'suffix':
      return `bytes=-${spec.length}`;
  }
};

/** What RFC 9110 says one range of an object of `size` bytes selects, or undefined when unsatisfiable. */
function reference(size: number, spec: RangeSpec): { start: number; end: number } | undefined {
  switch (spec.kind) {
    case 'from-to':
      return spec.first < size ? { start: spec.first, end: Math.min(spec.last, size - 1) } : undefined;
    case 'from':
      return spec.first < size ? { start: spec.first, end: size - 1 } : undefined;
    case 'suffix':
      return spec.length > 0 && size > 0 ? { start: Math.max(0, size - spec.length), end: size - 1 } : undefined;
  }
}

const MAX_SIZE = 1_000_000;
const size = fc.integer({ min: 0, max: MAX_SIZE });
/** Positions up to twice the largest object, so some fall beyond the end. */
const position = fc.integer({ min: 0, max: 2 * MAX_SIZE });
const rangeSpec: fc.Arbitrary<RangeSpec> = fc.oneof(
  fc
    .tuple(position, fc.nat({ max: 2 * MAX_SIZE }))
    .map(([first, extra]) => ({ kind: 'from-to' as const, first, last: first + extra })),
  position.map((first) => ({ kind: 'from' as const, first })),
  position.map((length) => ({ kind: 'suffix' as const, length })),
);

const ETAG = '"0123456789abcdef0123456789abcdef"';
const LAST_MODIFIED = new Date('2024-05-06T07:08:09.000Z');
const object = (size: number, headers: Partial<ObjectRequest> = {}): ObjectRequest => ({
  method: 'GET',
  size,
  etag: ETAG,
  lastModified: LAST_MODIFIED,
  ...headers,
});

const STATUSES = [200, 206, 304, 416];

describe('byte range decisions', () => {
  it('serve exactly the bytes RFC 9110 selects for any single range, or 416 when it selects none', () => {
    fc.assert(
      fc.property(size, rangeSpec, fc.constantFrom('GET', 'HEAD'), (objectSize, spec, method) => {
        const expected = reference(objectSize, spec);

        const decision = decideResponse(object(objectSize, { method, rangeHeader: headerOf(spec) }));

        if (expected === undefined) {
          expect(decision).toEqual({ status: 416, contentRange: `bytes */${objectSize}` });
        } else {
          expect(decision).toEqual({
            status: 206,
            ...expected,
            contentRange: `bytes ${expected.start}-${expected.end}/${objectSize}`,
          });
          expect(expected.start).toBeGreaterThanOrEqual(0);
          expect(expected.end).toBeLessThan(objectSize);
          expect(expected.start).toBeLessThanOrEqual(expected.end);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('serve the whole object as 206 for a suffix longer than it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_SIZE }), fc.nat(), (objectSize, extra) => {
        const decision = decideResponse(object(objectSize, { rangeHeader: `bytes=-${objectSize + 1 + extra}` }));

        expect(decision).toEqual({ status: 206, start: 0, end: objectSize - 1, contentRange: expect.any(String) });
      }),
    );
  });

  it('answer 416 for any range of an empty object', () => {
    fc.assert(
      fc.property(rangeSpec, (spec) => {
        expect(decideResponse(object(0, { rangeHeader: headerOf(spec) }))).toEqual({
          status: 416,
          contentRange: 'bytes */0',
        });
      }),
    );
  });

  it('ignore several ranges, as S3 serves no multipart/byteranges', () => {
    fc.assert(
      fc.property(size, fc.array(rangeSpec, { minLength: 2, maxLength: 5 }), (objectSize, specs) => {
        const header = `bytes=${specs.map((spec) => headerOf(spec).slice('bytes='.length)).join(',')}`;

        expect(decideResponse(object(objectSize, { rangeHeader: header }))).toEqual({ status: 200 });
      }),
    );
  });

  it('never throw, whatever the headers, and answer only 200, 206, 304 or 416', () => {
    const header = fc.option(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constant('bytes=0-1')), {
      nil: undefined,
    });
    fc.assert(
      fc.property(
        fc.record({
          method: fc.oneof(fc.constantFrom('GET', 'HEAD', 'POST'), fc.string()),
          size,
          etag: fc.option(fc.oneof(fc.string(), fc.constant(ETAG)), { nil: undefined }),
          lastModified: fc.option(fc.date(), { nil: undefined }),
          rangeHeader: header,
          ifRangeHeader: header,
          ifNoneMatchHeader: header,
          ifModifiedSinceHeader: header,
        }),
        (request) => {
          const decision: ResponseDecision = decideResponse(request);

          expect(STATUSES).toContain(decision.status);
          if (decision.status === 206) {
            expect(decision.start).toBeGreaterThanOrEqual(0);
            expect(decision.end).toBeLessThan(request.size);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('ignore anything but a bytes range of GET or HEAD', () => {
    expect(decideResponse(object(100, { rangeHeader: 'items=0-5' }))).toEqual({ status: 200 });
    expect(decideResponse(object(100, { rangeHeader: 'bytes=abc' }))).toEqual({ status: 200 });
    expect(decideResponse(object(100, { rangeHeader: 'bytes=0-5,' }))).toEqual({ status: 200 });
    expect(decideResponse(object(100, { rangeHeader: '0-5' }))).toEqual({ status: 200 });
    expect(decideResponse(object(100, { method: 'POST', rangeHeader: 'bytes=0-5' }))).toEqual({ status: 200 });
  });

  it('read the common ranges of players and download managers', () => {
    expect(decideResponse(object(1000, { rangeHeader: 'bytes=0-0' }))).toMatchObject({ status: 206, start: 0, end: 0 });
    expect(decideResponse(object(1000, { rangeHeader: 'bytes=-500' }))).toMatchObject({ start: 500, end: 999 });
    expect(decideResponse(object(1000, { rangeHeader: 'bytes=100-' }))).toMatchObject({ start: 100, end: 999 });
    expect(decideResponse(object(1000, { rangeHeader: 'bytes=900-5000' }))).toMatchObject({
      status: 206,
      end: 999,
      contentRange: 'bytes 900-999/1000',
    });
    expect(decideResponse(object(1000, { rangeHeader: 'bytes=1000-' }))).toEqual({
      status: 416,
      contentRange: 'bytes */1000',
    });
  });
});

describe('conditional decisions', () => {
  const entityTag = fc.stringMatching(/^[0-9a-f]{1,32}$/).map((tag) => `"${tag}"`);

  it('answer 304 when If-None-Match lists the ETag, weakly compared, or is *', () => {
    fc.assert(
      fc.property(fc.array(entityTag), fc.array(entityTag), fc.boolean(), size, (before, after, weak, objectSize) => {
        const listed = [...before, weak ? `W/${ETAG}` : ETAG, ...after].join(', ');

        expect(decideResponse(object(objectSize, { ifNoneMatchHeader: listed }))).toEqual({ status: 304 });
        expect(decideResponse(object(objectSize, { method: 'HEAD', ifNoneMatchHeader: '*' }))).toEqual({
          status: 304,
        });
      }),
    );
  });

  it('serve the object when If-None-Match lists only other tags, even with an older If-Modified-Since', () => {
    fc.assert(
      fc.property(
        fc.array(entityTag, { minLength: 1 }).filter((tags) => !tags.includes(ETAG)),
        (tags) => {
          const decision = decideResponse(
            object(10, { ifNoneMatchHeader: tags.join(','), ifModifiedSinceHeader: new Date().toUTCString() }),
          );

          expect(decision).toEqual({ status: 200 });
        },
      ),
    );
  });

  it('answer 304 for If-Modified-Since not earlier than Last-Modified, in whole seconds', () => {
    const sameSecond = new Date(LAST_MODIFIED.getTime() + 999);
    const before = new Date(LAST_MODIFIED.getTime() - 1000);

    expect(decideResponse(object(10, { ifModifiedSinceHeader: sameSecond.toUTCString() }))).toEqual({ status: 304 });
    expect(decideResponse(object(10, { ifModifiedSinceHeader: before.toUTCString() }))).toEqual({ status: 200 });
    expect(decideResponse(object(10, { ifModifiedSinceHeader: 'yesterday' }))).toEqual({ status: 200 });
  });

  it('honour Range under If-Range with the exact strong ETag or a date not before Last-Modified', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 365 * 86_400 }), (secondsLater) => {
        const date = new Date(LAST_MODIFIED.getTime() + secondsLater * 1000).toUTCString();

        expect(decideResponse(object(100, { rangeHeader: 'bytes=0-9', ifRangeHeader: ETAG }))).toMatchObject({
          status: 206,
        });
        expect(decideResponse(object(100, { rangeHeader: 'bytes=0-9', ifRangeHeader: date }))).toMatchObject({
          status: 206,
        });
      }),
    );
  });

  it('serve the whole object when If-Range names another ETag, a weak one, an earlier date or nonsense', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          entityTag.filter((tag) => tag !== ETAG),
          fc.constant(`W/${ETAG}`),
          fc
            .integer({ min: 1, max: 10 * 365 * 86_400 })
            .map((secondsEarlier) => new Date(LAST_MODIFIED.getTime() - secondsEarlier * 1000).toUTCString()),
          fc.string().filter((text) => text.trim() !== ETAG && Number.isNaN(Date.parse(text))),
        ),
        (ifRange) => {
          expect(decideResponse(object(100, { rangeHeader: 'bytes=0-9', ifRangeHeader: ifRange }))).toEqual({
            status: 200,
          });
        },
      ),
    );
  });

  it('never honour If-Range when the object itself has only a weak ETag', () => {
    const decision = decideResponse(
      object(100, { etag: `W/${ETAG}`, rangeHeader: 'bytes=0-9', ifRangeHeader: `W/${ETAG}` }),
    );

    expect(decision).toEqual({ status: 200 });
  });
});
