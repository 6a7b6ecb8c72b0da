import { MIB } from '../../../lambda/core/upload-plan';
import { InMemoryObjectStore } from './object-store';
import { partBody } from './videos';

/** The in-memory bucket refuses what S3 (and the local S3) refuse, so that the core's unit tests can fail. */

async function openUpload(parts: { partNumber: number; sizeBytes: number }[]) {
  const store = new InMemoryObjectStore();
  const key = 'uploads/v1/source';
  const uploadId = await store.createMultipartUpload(key, 'video/mp4');
  const etags = [];
  for (const { partNumber, sizeBytes } of parts)
    etags.push({
      partNumber,
      etag: await store.uploadPart(key, uploadId, partNumber, partBody(sizeBytes, partNumber)),
    });
  return { store, key, uploadId, etags };
}

describe('the in-memory object store', () => {
  it("refuses a completion out of order, with a part's wrong ETag, or with a part under 5 MiB but the last", async () => {
    const { store, key, uploadId, etags } = await openUpload([
      { partNumber: 1, sizeBytes: 5 * MIB },
      { partNumber: 2, sizeBytes: 5 * MIB - 1 },
      { partNumber: 3, sizeBytes: 1 },
    ]);
    const [first, second, third] = etags as [(typeof etags)[0], (typeof etags)[0], (typeof etags)[0]];

    const outOfOrder = store.completeMultipartUpload(key, uploadId, [second, first]);
    const wrongEtag = store.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag: second.etag }]);
    const tooSmall = store.completeMultipartUpload(key, uploadId, [first, second, third]);

    await expect(outOfOrder).rejects.toMatchObject({ name: 'InvalidPartOrder' });
    await expect(wrongEtag).rejects.toMatchObject({ name: 'InvalidPart' });
    await expect(tooSmall).rejects.toMatchObject({ name: 'EntityTooSmall' });
    expect(await store.listParts(key, uploadId)).toHaveLength(3);
  });

  it('makes one object of the parts listed, after which the upload is gone, as S3 shows it', async () => {
    const { store, key, uploadId, etags } = await openUpload([
      { partNumber: 1, sizeBytes: 5 * MIB },
      { partNumber: 2, sizeBytes: 3 },
    ]);

    const completed = await store.completeMultipartUpload(key, uploadId, etags);

    expect(completed).toBe(true);
    expect(await store.headObject(key)).toEqual({ sizeBytes: 5 * MIB + 3 });
    expect([...(await store.readRange(key, 5 * MIB - 1, 5 * MIB + 10))]).toEqual([0, 2, 0, 0]);
    expect(await store.listParts(key, uploadId)).toBeUndefined();
    expect(await store.completeMultipartUpload(key, uploadId, etags)).toBe(false);
    await expect(store.abortMultipartUpload(key, uploadId)).resolves.toBeUndefined();
    await expect(store.uploadPart(key, uploadId, 1, partBody(1))).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });

  it('deletes the objects under a prefix, and leaves open uploads open, as S3 does', async () => {
    const { store, key, uploadId } = await openUpload([{ partNumber: 1, sizeBytes: 1 }]);
    await store.putObject('uploads/v1/other', partBody(1));
    await store.putObject('uploads/v10/source', partBody(1));

    const deleted = await store.deleteByPrefix('uploads/v1/');

    expect(deleted).toBe(1);
    expect(store.objectKeys()).toEqual(['uploads/v10/source']);
    expect(store.openUploads()).toEqual([{ key, uploadId }]);
  });
});
