import fc from 'fast-check';
import { API_ROUTES } from '../../lambda/api/routes';
import type { ErrorCode } from '../../lambda/core/errors';
import { VIDEO_ID_PATTERN } from '../../lambda/core/playback-token';
import { UpdateVideoRequestSchema } from '../../lambda/core/schemas';
import { type ApiHarness, type ApiResponse, startApiHarness } from '../support/api-harness';
import {
  createBodies,
  invalidCompleteBody,
  invalidUpdateBody,
  jsonOtherThan,
  validCompleteBody,
  validUpdateBody,
} from '../support/arbitraries';
import { catalogOf, expectApiError, expectClientError, uploadedVideo, videoBody } from '../support/videos';

/**
 * Whatever a caller sends, the answer is a 4xx in the documented shape, never a 5xx, and a
 * refused request writes nothing.
 */

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => api.stop());

const RUNS = 60;

/** Sends every generated request and checks each answer; fast-check shrinks any that fails. */
function everyAnswer<T>(
  requests: fc.Arbitrary<T>,
  send: (request: T) => Promise<ApiResponse>,
  check: (response: ApiResponse) => void,
  numRuns = RUNS,
): Promise<void> {
  return fc.assert(
    fc.asyncProperty(requests, async (request) => check(await send(request))),
    { numRuns },
  );
}
const is = (status: number, code: ErrorCode) => (response: ApiResponse) => expectApiError(response, status, code);

const routesWithId = API_ROUTES.filter((route) => route.path.includes('{id}'));
const bodyFor: Record<string, unknown> = {
  completeUpload: { parts: [{ partNumber: 1, etag: 'e' }] },
  updateVideo: { title: 'x' },
};

/** Raw bodies that are not a valid request: any text, deep nesting, huge strings, prototype keys. */
const badRawBody = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.integer({ min: 1, max: 200_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 1, max: 100_000 }).map((depth) => `${'{"title":'.repeat(depth)}"x"${'}'.repeat(depth)}`),
  fc.integer({ min: 1, max: 100_000 }).map((depth) => '['.repeat(depth)),
  fc.constantFrom(
    `{"__proto__": {"ownerId": "alice"}, ${JSON.stringify(videoBody()).slice(1)}`,
    `{"constructor": {"prototype": {"admin": true}}, ${JSON.stringify(videoBody()).slice(1)}`,
    JSON.stringify(videoBody()).slice(0, -1),
    `${JSON.stringify(videoBody())}garbage`,
    '\uFEFF{}',
  ),
);
const hugeBody = fc
  .integer({ min: 900_000, max: 1_500_000 })
  .map((length) => JSON.stringify(videoBody({ title: 'x'.repeat(length) })));

/** Ids that are not video ids: any text, path tricks, very long ones. */
const badId = fc.oneof(
  fc.string({ unit: 'binary' }).filter((id) => !VIDEO_ID_PATTERN.test(id)),
  fc.constantFrom('', '/', '..', '../x', 'a/b', '%2e%2e', 'a b', 'ü', 'a.b', 'a\u0000b', '\u202Eabc'),
  fc.integer({ min: 65, max: 5000 }).map((length) => 'a'.repeat(length)),
);

describe('the handlers, given bad input', () => {
  it('answer createVideo with a 4xx for any bad body, and create nothing', async () => {
    const owner = 'mallory-creates';
    const { invalid } = createBodies({
      contentType: fc.constantFrom('video/mp4', 'video/webm'),
      sizeBytes: fc.integer({ min: 1, max: 100 * 1024 * 1024 }),
    });

    const send = (rawBody: string) =>
      api.call('createVideo', { as: owner, rawBody, headers: { 'Content-Type': 'application/json' } });

    await everyAnswer(
      fc.oneof(
        invalid.map((body) => JSON.stringify(body)),
        badRawBody,
      ),
      send,
      expectClientError,
      150,
    );
    await everyAnswer(hugeBody, send, expectClientError, 5);

    const list = await api.call('listVideos', { as: owner });
    expect(list.body).toEqual({ items: [], nextCursor: null });
  });

  it('answer a body that passes the schema but breaks one field with exactly 400', async () => {
    const { invalid } = createBodies({ contentType: fc.constant('video/mp4'), sizeBytes: fc.constant(1) });

    await everyAnswer(
      invalid,
      (body) => api.call('createVideo', { as: 'mallory-creates', body }),
      is(400, 'VALIDATION_FAILED'),
    );
  });

  it('answer every route with an id with 400 for anything that is not an id, whoever calls', async () => {
    await everyAnswer(
      fc.tuple(fc.constantFrom(...routesWithId), badId, fc.boolean()),
      async ([route, id, signedIn]) =>
        api.call(route.operationId, {
          id,
          as: 'mallory',
          body: bodyFor[route.operationId],
          headers: signedIn && route.auth === 'optional' ? await api.bearer('mallory') : {},
        }),
      is(400, 'VALIDATION_FAILED'),
    );
  });

  it('answer every route with an id with 404 for an id that names no video', async () => {
    await everyAnswer(
      fc.tuple(fc.constantFrom(...routesWithId), fc.stringMatching(VIDEO_ID_PATTERN)),
      ([route, id]) => api.call(route.operationId, { id, as: 'mallory', body: bodyFor[route.operationId] }),
      is(404, 'NOT_FOUND'),
    );
  });

  it('answer the two anonymous reads with 401 for any Authorization header that is not a valid token', async () => {
    const { id } = await uploadedVideo(api, 'owner-of-public', { visibility: 'public' });
    const segment = fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value)).toString('base64url'));
    const realToken = await api.servers.identity.issue('owner-of-public');
    const badAuthorization = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string().map((token) => `Bearer ${token}`),
      fc.tuple(segment, segment, fc.base64String()).map((parts) => `Bearer ${parts.join('.')}`),
      fc
        .tuple(
          fc.record({ alg: fc.constantFrom('RS256', 'HS256', 'none', 'ES256'), kid: fc.string(), typ: fc.string() }),
          segment,
        )
        .map(
          ([header, payload]) =>
            `Bearer ${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}.${realToken.split('.')[2]}`,
        ),
      fc
        // Any character but the signature's last, whose low bits base64url decoding ignores.
        .integer({ min: 0, max: realToken.length - 2 })
        .map((at) => `Bearer ${realToken.slice(0, at)}${realToken[at] === 'A' ? 'B' : 'A'}${realToken.slice(at + 1)}`),
    );

    await everyAnswer(
      fc.tuple(fc.constantFrom('getVideo', 'getPlayback'), badAuthorization),
      ([operationId, authorization]) => api.call(operationId, { id, headers: { Authorization: authorization } }),
      is(401, 'UNAUTHORIZED'),
    );
  });

  it('answer a JSON request sent as any other content type with 415, and change nothing', async () => {
    const owner = 'owner-sending-text';
    const { id, parts } = await uploadedVideo(api, owner);
    const before = await catalogOf(api).get(id);
    const notJson = fc
      .oneof(fc.string(), fc.constantFrom('application/jsonp', 'text/json', 'application/json5', 'application/x-json'))
      .filter((contentType) => !/^application\/json\s*(;|$)/i.test(contentType));
    const requests = fc.constantFrom(
      { operationId: 'createVideo', body: videoBody() },
      { operationId: 'updateVideo', body: { title: 'Changed' } },
      { operationId: 'completeUpload', body: { parts } },
    );

    await everyAnswer(
      fc.tuple(requests, notJson),
      ([{ operationId, body }, contentType]) =>
        api.call(operationId, {
          id,
          as: owner,
          rawBody: JSON.stringify(body),
          headers: { 'Content-Type': contentType },
        }),
      is(415, 'UNSUPPORTED_MEDIA_TYPE'),
    );

    expect(await catalogOf(api).get(id)).toEqual(before);
    expect((await api.call('listVideos', { as: owner })).body.items).toHaveLength(1);
  });

  it('answer listVideos with 400 for any bad query string', async () => {
    const otherName = fc.string().filter((name) => name !== 'limit' && name !== 'cursor' && name !== '__proto__');
    const badQuery = fc.oneof(
      fc.dictionary(otherName, fc.string(), { minKeys: 1 }),
      fc
        .string()
        .filter((limit) => !/^([1-9][0-9]?|100)$/.test(limit))
        .map((limit) => ({ limit })),
      fc.string({ unit: 'binary' }).map((cursor) => ({ cursor })),
      fc.stringMatching(/^[A-Za-z0-9_-]{1,600}$/).map((cursor) => ({ cursor, limit: '5' })),
      fc
        .tuple(fc.constantFrom('limit', 'cursor'), fc.array(fc.string(), { minLength: 2, maxLength: 4 }))
        .map(([name, values]) => ({ [name]: values })),
    );

    await everyAnswer(
      badQuery,
      (query) => api.call('listVideos', { as: 'owner', query }),
      is(400, 'VALIDATION_FAILED'),
    );
  });

  it('leave a video unchanged after any bad complete, and still complete it with the right parts', async () => {
    const { id, parts } = await uploadedVideo(api, 'owner');
    const before = await catalogOf(api).get(id);
    const badComplete = fc.oneof(
      invalidCompleteBody.map((body) => ({ as: 'owner', body: body as unknown })),
      validCompleteBody.map((body) => ({ as: 'owner', body: body as unknown })),
      fc.constant({ as: 'mallory', body: { parts } as unknown }),
      jsonOtherThan('string').map((body) => ({ as: 'owner', body })),
    );

    await everyAnswer(badComplete, ({ as, body }) => api.call('completeUpload', { id, as, body }), expectClientError);

    expect(await catalogOf(api).get(id)).toEqual(before);
    const completed = await api.call('completeUpload', { id, as: 'owner', body: { parts } });
    expect(completed.status).toBe(202);
  });

  it('leave a video unchanged after any bad change, by its owner or anyone else', async () => {
    const { id } = await uploadedVideo(api, 'owner', { visibility: 'public' });
    const before = await catalogOf(api).get(id);
    const seenBefore = (await api.call('getVideo', { id })).body;
    const badChange = fc.oneof(
      invalidUpdateBody.map((body) => ({ as: 'owner', body: body as unknown })),
      fc
        .jsonValue()
        // A value that happens to be a valid change is no bad change by the owner.
        .filter((body) => !UpdateVideoRequestSchema.safeParse(body).success)
        .map((body) => ({ as: 'owner', body: body as unknown })),
      validUpdateBody.map((body) => ({ as: 'mallory', body: body as unknown })),
    );

    await everyAnswer(badChange, ({ as, body }) => api.call('updateVideo', { id, as, body }), expectClientError);

    expect(await catalogOf(api).get(id)).toEqual(before);
    expect((await api.call('getVideo', { id })).body).toEqual(seenBefore);
  });
});
