import fc from 'fast-check';
import type { ErrorCode } from '../../../lambda/core/errors';
import { videoCacheKey } from '../../../lambda/core/video-cache';
import { completeUpload } from '../../../lambda/core/videos';
import { type InMemoryCore, inMemoryCore, writesIn } from '../../support/in-memory/core';
import {
  caller,
  expectRefusal,
  expectRefused,
  MIB,
  partBody,
  thrownBy,
  uploadedVideo,
} from '../../support/in-memory/videos';

/**
 * `completeUpload` (in `lambda/core/videos.ts`) through in-memory ports, no server: the checks of
 * the part list against the plan and against what S3 holds, and completing again after a crash.
 */

const alice = caller('alice');

describe('completeUpload: the part checks', () => {
  type Part = { partNumber: number; etag: string };
  const numbersTo = (count: number) => Array.from({ length: count }, (_, index) => index + 1);
  const unquoted = (etag: string) => etag.replace(/"/g, '');

  /** An ETag as S3 makes them: 32 hex digits. */
  const md5Like = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => Buffer.from(bytes).toString('hex'));

  /** A video of 1 to 4 parts, its last of a few sizes (so that each part body is hashed once a run). */
  const video = fc
    .record({ partCount: fc.integer({ min: 1, max: 4 }), lastPart: fc.constantFrom(1, 3 * MIB, 8 * MIB) })
    .map(({ partCount, lastPart }) => ({ partCount, sizeBytes: (partCount - 1) * 8 * MIB + lastPart }));

  /** Uploads a video (leaving out `skip`), completes it with the list `send` makes, and returns what it threw. */
  async function completing(sizeBytes: number, send: (uploaded: Part[]) => Part[], skip: number[] = []) {
    const core = inMemoryCore();
    const uploaded = await uploadedVideo(core, 'alice', { sizeBytes }, skip);
    const before = await core.catalog.get(uploaded.id);
    const error = await thrownBy(completeUpload(core.deps, alice, uploaded.id, { parts: send(uploaded.parts) }));
    const after = await core.catalog.get(uploaded.id);
    const stillOpen = (await core.uploads.listParts(uploaded.key, uploaded.uploadId)) !== undefined;
    return { core, uploaded, error, changed: JSON.stringify(after) !== JSON.stringify(before), stillOpen };
  }

  /** The refusal is this ApiError, and the record and the upload are as they were. */
  function expectRefusedUnchanged(outcome: Awaited<ReturnType<typeof completing>>, code: ErrorCode, message?: RegExp) {
    expectRefusal(outcome.error, code, message);
    expect(outcome.changed).toBe(false);
    expect(outcome.stillOpen).toBe(true);
  }

  it('completes with the uploaded parts in any order, ETags quoted or not, and moves to PROCESSING', async () => {
    const listing = video.chain(({ partCount, sizeBytes }) =>
      fc.record({
        sizeBytes: fc.constant(sizeBytes),
        order: fc.shuffledSubarray(numbersTo(partCount), { minLength: partCount }),
        unquote: fc.array(fc.boolean(), { minLength: partCount, maxLength: partCount }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(listing, async ({ sizeBytes, order, unquote }) => {
        const { core, uploaded, error } = await completing(sizeBytes, (parts) =>
          order.map((partNumber, index) => {
            const etag = parts[partNumber - 1]?.etag ?? '';
            return { partNumber, etag: unquote[index] ? unquoted(etag) : etag };
          }),
        );

        // The in-memory S3 refuses parts out of order, as S3 does: the core sorted them.
        expect(error).toBeUndefined();
        expect((await core.catalog.get(uploaded.id))?.status).toBe('PROCESSING');
        expect(await core.uploads.headObject(uploaded.key)).toEqual({ sizeBytes });
        expect(core.uploads.openUploads()).toEqual([]);
      }),
    );
  });

  it('refuses a list that does not name each planned part exactly once (VALIDATION_FAILED), and changes nothing', async () => {
    const isEachPartOnce = (list: number[], partCount: number) =>
      list.length === partCount && new Set(list).size === partCount && list.every((n) => n <= partCount);
    const listing = video.chain(({ partCount, sizeBytes }) =>
      fc.record({
        sizeBytes: fc.constant(sizeBytes),
        list: fc
          .array(fc.integer({ min: 1, max: partCount + 2 }), { minLength: 1, maxLength: partCount + 2 })
          .filter((list) => !isEachPartOnce(list, partCount)),
      }),
    );
    await fc.assert(
      fc.asyncProperty(listing, async ({ sizeBytes, list }) => {
        const outcome = await completing(sizeBytes, (parts) =>
          list.map((partNumber) => ({ partNumber, etag: parts[partNumber - 1]?.etag ?? '"beyond-the-plan"' })),
        );

        expectRefusedUnchanged(outcome, 'VALIDATION_FAILED');
      }),
    );
  });

  it("refuses an ETag that is not the uploaded part's, another part's or one never seen (UPLOAD_INCOMPLETE)", async () => {
    const listing = video.chain(({ partCount, sizeBytes }) =>
      fc.record({
        sizeBytes: fc.constant(sizeBytes),
        wrong: fc.integer({ min: 1, max: partCount }),
        /** 0 for an ETag never seen, else the part whose ETag is sent instead. */
        instead: fc.integer({ min: 0, max: partCount }),
        madeUp: md5Like,
      }),
    );
    await fc.assert(
      fc.asyncProperty(listing, async ({ sizeBytes, wrong, instead, madeUp }) => {
        fc.pre(instead !== wrong);
        const outcome = await completing(sizeBytes, (parts) =>
          parts.map((part) =>
            part.partNumber !== wrong
              ? part
              : { partNumber: wrong, etag: instead === 0 ? `"${madeUp}"` : (parts[instead - 1]?.etag ?? '') },
          ),
        );

        expectRefusedUnchanged(outcome, 'UPLOAD_INCOMPLETE', new RegExp(`^part ${wrong}'s ETag`));
      }),
    );
  });

  it('refuses while parts are not uploaded (UPLOAD_INCOMPLETE), saying how many and which', async () => {
    const listing = video.chain(({ partCount, sizeBytes }) =>
      fc.record({ sizeBytes: fc.constant(sizeBytes), skip: fc.subarray(numbersTo(partCount), { minLength: 1 }) }),
    );
    await fc.assert(
      fc.asyncProperty(listing, async ({ sizeBytes, skip }) => {
        const outcome = await completing(sizeBytes, (parts) => parts, skip);

        expectRefusedUnchanged(
          outcome,
          'UPLOAD_INCOMPLETE',
          new RegExp(`^${skip.length} part\\(s\\) not uploaded yet, first ${skip.join(', ')}$`),
        );
      }),
    );
  });

  it('refuses parts cut in the wrong place (SIZE_MISMATCH) though the total is right, and completes once put right', async () => {
    const core = inMemoryCore();
    const { id, key, uploadId } = await uploadedVideo(core, 'alice', { sizeBytes: 9 * MIB }, [1, 2]);
    const put = (partNumber: number, sizeBytes: number) =>
      core.uploads.uploadPart(key, uploadId, partNumber, partBody(sizeBytes, partNumber));
    const complete = async (etags: string[]) =>
      completeUpload(core.deps, alice, id, { parts: etags.map((etag, index) => ({ partNumber: index + 1, etag })) });

    const wrongCut = complete([await put(1, 8 * MIB - 1), await put(2, MIB + 1)]);
    await expectRefused(wrongCut, 'SIZE_MISMATCH', /^part 1 holds/);
    const putRight = await complete([await put(1, 8 * MIB), await put(2, MIB)]);

    expect(putRight.video.status).toBe('PROCESSING');
  });

  it('refuses parts that hold more than the maximum (PAYLOAD_TOO_LARGE), and changes nothing', async () => {
    const core = inMemoryCore({ maxUploadBytes: 10 * MIB });
    const { id, key, uploadId, parts } = await uploadedVideo(core, 'alice', { sizeBytes: 9 * MIB });
    const oversized = await core.uploads.uploadPart(key, uploadId, 2, partBody(2 * MIB + 1, 2));
    const before = await core.catalog.get(id);

    const completing = completeUpload(core.deps, alice, id, {
      parts: [parts[0] as Part, { partNumber: 2, etag: oversized }],
    });

    await expectRefused(completing, 'PAYLOAD_TOO_LARGE');
    expect(await core.catalog.get(id)).toEqual(before);
  });

  it('refuses when S3 holds a part beyond the plan: the parts hold more than declared (SIZE_MISMATCH)', async () => {
    const core = inMemoryCore();
    const { id, key, uploadId, parts } = await uploadedVideo(core, 'alice', { sizeBytes: 1 });
    await core.uploads.uploadPart(key, uploadId, 2, partBody(1, 2));

    const completing = completeUpload(core.deps, alice, id, { parts });

    await expectRefused(completing, 'SIZE_MISMATCH', /^The parts hold 2 bytes; 1 were declared$/);
  });
});

describe('completeUpload after a crash', () => {
  it('finishes the move when S3 completed the upload but the catalog write was lost, and only once', async () => {
    const core = inMemoryCore();
    const { id, key, parts } = await uploadedVideo(core, 'alice', { sizeBytes: 9 * MIB });
    jest.spyOn(core.catalog, 'transition').mockRejectedValueOnce(new Error('Task timed out after 10.00 seconds'));
    await expect(completeUpload(core.deps, alice, id, { parts })).rejects.toThrow('Task timed out');
    const afterCrash = { record: await core.catalog.get(id), object: await core.uploads.headObject(key) };
    core.clock.advance(1000);

    const retried = await completeUpload(core.deps, alice, id, { parts });
    const again = completeUpload(core.deps, alice, id, { parts });

    expect(afterCrash).toEqual({
      record: expect.objectContaining({ status: 'UPLOADING' }),
      object: { sizeBytes: 9 * MIB },
    });
    expect(retried.video).toMatchObject({ status: 'PROCESSING', updatedAt: core.clock.now().toISOString() });
    await expectRefused(again, 'INVALID_STATE');
    expect(await core.catalog.get(id)).toMatchObject({ status: 'PROCESSING', updatedAt: retried.video.updatedAt });
    expect(JSON.parse((await core.cache.get(videoCacheKey(id))) ?? '{}')).toMatchObject({ status: 'PROCESSING' });
  });

  it('finishes the move when a racing call completed the upload between the part list and the complete', async () => {
    const core = inMemoryCore();
    const { id, parts } = await uploadedVideo(core, 'alice', { sizeBytes: 9 * MIB });
    const complete = core.uploads.completeMultipartUpload.bind(core.uploads);
    // The racing call's complete lands first; this one then finds the upload gone.
    jest
      .spyOn(core.uploads, 'completeMultipartUpload')
      .mockImplementationOnce(async (...args) => (await complete(...args)) && false);

    const completed = await completeUpload(core.deps, alice, id, { parts });

    expect(completed.video.status).toBe('PROCESSING');
    expect(writesIn(core).slice(-2)).toEqual(['catalog.transition', 'cache.put']);
  });

  it.each([
    ['was aborted, and there is no object', async (_core: InMemoryCore, _key: string) => undefined],
    [
      'is gone, and the object there is not of the declared size',
      async (core: InMemoryCore, key: string) => core.uploads.putObject(key, partBody(5, 9)),
    ],
  ])('refuses with INVALID_STATE, and leaves the video UPLOADING, when the upload %s', async (_case, leave) => {
    const core = inMemoryCore();
    const { id, key, uploadId, parts } = await uploadedVideo(core, 'alice', { sizeBytes: 9 * MIB });
    await core.uploads.abortMultipartUpload(key, uploadId);
    await leave(core, key);
    const before = await core.catalog.get(id);

    const completing = completeUpload(core.deps, alice, id, { parts });

    await expectRefused(completing, 'INVALID_STATE', /no longer exists/);
    expect(await core.catalog.get(id)).toEqual(before);
  });
});
