import { type Catalog, WriteNotApplied } from '../../../lambda/core/ports';
import type { VideoRecord } from '../../../lambda/core/video';
import { videoCacheKey } from '../../../lambda/core/video-cache';
import { createVideo } from '../../../lambda/core/videos';
import { inMemoryCore, writesIn } from '../../support/in-memory/core';
import { caller, expectRefused, MIB, videoRequest } from '../../support/in-memory/videos';

/**
 * `createVideo` (in `lambda/core/videos.ts`) through in-memory ports, no server: what it writes,
 * in what order, and what a failure part-way leaves (never a record without its upload).
 */

const alice = caller('alice');

describe('createVideo', () => {
  it('refuses a content type or a size off the policy before it touches any port', async () => {
    const core = inMemoryCore({ maxUploadBytes: 10 * MIB });

    const wrongType = createVideo(core.deps, alice, videoRequest({ contentType: 'image/png' }));
    const tooLarge = createVideo(core.deps, alice, videoRequest({ sizeBytes: 10 * MIB + 1 }));

    await expectRefused(wrongType, 'UNSUPPORTED_MEDIA_TYPE');
    await expectRefused(tooLarge, 'PAYLOAD_TOO_LARGE');
    expect(core.calls).toEqual([]);
  });

  it('opens the upload before it writes the record, then caches the record', async () => {
    const core = inMemoryCore();

    const { video, upload } = await createVideo(core.deps, alice, videoRequest({ sizeBytes: 9 * MIB }));

    expect(writesIn(core)).toEqual(['uploads.createMultipartUpload', 'catalog.create', 'cache.put']);
    expect((await core.catalog.get(video.id))?.upload.uploadId).toBe(upload.uploadId);
    expect(core.uploads.openUploads()).toEqual([{ key: `uploads/${video.id}/source`, uploadId: upload.uploadId }]);
    expect(JSON.parse((await core.cache.get(videoCacheKey(video.id))) ?? '{}')).toMatchObject({ status: 'UPLOADING' });
  });

  it('leaves nothing behind and writes no record when S3 refuses to open the upload', async () => {
    const core = inMemoryCore();
    const outage = new Error('connect ECONNREFUSED');
    jest.spyOn(core.uploads, 'createMultipartUpload').mockRejectedValueOnce(outage);

    const creating = createVideo(core.deps, alice, videoRequest());

    await expect(creating).rejects.toBe(outage);
    expect(core.calls).toEqual(['uploads.createMultipartUpload']);
    expect(await core.catalog.listByOwner('alice', 10)).toEqual({ items: [], next: undefined });
  });

  /** How the catalog write fails, given the real write: whether the upload is aborted follows from it. */
  const writeFailures: {
    case: string;
    fail: (create: Catalog['create'], record: VideoRecord) => Promise<void>;
    kept: boolean;
  }[] = [
    {
      case: 'certainly did not write the record (WriteNotApplied): aborts the upload',
      fail: async () => Promise.reject(new WriteNotApplied(new Error('ThrottlingException'))),
      kept: false,
    },
    {
      case: 'timed out, and a read shows no record: aborts the upload',
      fail: async () => Promise.reject(new Error('socket hang up')),
      kept: false,
    },
    {
      case: 'timed out after the record landed: keeps the upload the record points at',
      fail: async (create, record) => {
        await create(record);
        throw new Error('socket hang up');
      },
      kept: true,
    },
  ];

  it.each(writeFailures)('when the catalog write $case', async ({ fail, kept }) => {
    const core = inMemoryCore();
    const create = core.catalog.create.bind(core.catalog);
    jest.spyOn(core.catalog, 'create').mockImplementationOnce((record) => fail(create, record));

    const creating = createVideo(core.deps, alice, videoRequest());

    await expect(creating).rejects.toThrow();
    const { items } = await core.catalog.listByOwner('alice', 10);
    // Either both the record and its upload, or neither: never one without the other.
    expect(core.uploads.openUploads().map((upload) => upload.uploadId)).toEqual(
      items.map((record) => record.upload.uploadId),
    );
    expect(items).toHaveLength(kept ? 1 : 0);
    expect(await core.cache.get(videoCacheKey('video-1'))).toBeUndefined();
  });

  it('keeps the upload when the write failed and the catalog cannot say whether the record exists', async () => {
    const core = inMemoryCore();
    jest.spyOn(core.catalog, 'create').mockRejectedValueOnce(new Error('socket hang up'));
    jest.spyOn(core.catalog, 'get').mockRejectedValueOnce(new Error('socket hang up'));

    await expect(createVideo(core.deps, alice, videoRequest())).rejects.toThrow('socket hang up');

    expect(core.uploads.openUploads()).toHaveLength(1);
    expect(writesIn(core)).toEqual(['uploads.createMultipartUpload', 'catalog.create']);
  });

  it("answers the catalog's error, not the abort's, when S3 fails the abort as well", async () => {
    const core = inMemoryCore();
    const refused = new WriteNotApplied(new Error('connect ECONNREFUSED'));
    jest.spyOn(core.catalog, 'create').mockRejectedValueOnce(refused);
    jest.spyOn(core.uploads, 'abortMultipartUpload').mockRejectedValueOnce(new Error('S3 is down too'));

    const creating = createVideo(core.deps, alice, videoRequest());

    await expect(creating).rejects.toBe(refused);
    expect(writesIn(core)).toEqual(['uploads.createMultipartUpload', 'catalog.create', 'uploads.abortMultipartUpload']);
  });
});
