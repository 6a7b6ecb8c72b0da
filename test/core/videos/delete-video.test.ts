import { videoCacheKey } from '../../../lambda/core/video-cache';
import { deleteVideo } from '../../../lambda/core/videos';
import { type InMemoryCore, inMemoryCore, writesIn } from '../../support/in-memory/core';
import { caller, expectRefused, partBody, uploadedVideo } from '../../support/in-memory/videos';

/**
 * `deleteVideo` (in `lambda/core/videos.ts`) through in-memory ports, no server: the order of its
 * steps, and that a failure at any step leaves the record, so that deleting again finishes it.
 */

const alice = caller('alice');

describe('deleteVideo', () => {
  /** A video still UPLOADING with its part uploaded, outputs in the media bucket, and a neighbour's objects. */
  async function videoWithObjects(core: InMemoryCore) {
    const { id } = await uploadedVideo(core, 'alice');
    await core.media.putObject(`v/${id}/hls/master.m3u8`, partBody(1));
    await core.media.putObject(`v/${id}x/hls/master.m3u8`, partBody(1));
    await core.uploads.putObject(`uploads/${id}x/source`, partBody(1));
    core.calls.length = 0;
    return id;
  }

  const DELETE_STEPS = [
    'uploads.abortMultipartUpload',
    'uploads.deleteByPrefix',
    'media.deleteByPrefix',
    'notifier.publish',
    'catalog.delete',
    'cache.put',
  ];

  it('aborts the upload, deletes the objects, announces it, then deletes the record and marks it gone in the cache', async () => {
    const core = inMemoryCore();
    const id = await videoWithObjects(core);

    await deleteVideo(core.deps, alice, id);

    expect(writesIn(core)).toEqual(DELETE_STEPS);
    expect(await core.catalog.get(id)).toBeUndefined();
    expect(core.uploads.openUploads()).toEqual([]);
    expect(core.uploads.objectKeys()).toEqual([`uploads/${id}x/source`]);
    expect(core.media.objectKeys()).toEqual([`v/${id}x/hls/master.m3u8`]);
    expect(core.published.map((event) => [event.type, event.data.video.id])).toEqual([['video.deleted', id]]);
    expect(await core.cache.get(videoCacheKey(id))).toBe('-');
  });

  it.each(DELETE_STEPS.slice(0, -1))(
    'when %s fails, stops there and keeps the record, so that deleting again finishes it under the same event id',
    async (step) => {
      const core = inMemoryCore();
      const id = await videoWithObjects(core);
      const [port, method] = step.split('.') as ['uploads' | 'media' | 'notifier' | 'catalog', string];
      const target = core[port] as unknown as Record<string, () => Promise<unknown>>;
      jest.spyOn(target, method).mockRejectedValueOnce(new Error(`${step} is down`));

      await expect(deleteVideo(core.deps, alice, id)).rejects.toThrow(`${step} is down`);
      const stoppedAt = writesIn(core);
      const kept = await core.catalog.get(id);
      core.clock.advance(60_000);
      await deleteVideo(core.deps, alice, id);

      expect(stoppedAt).toEqual(DELETE_STEPS.slice(0, DELETE_STEPS.indexOf(step) + 1));
      expect(kept).toMatchObject({ id, status: 'UPLOADING' });
      expect(await core.catalog.get(id)).toBeUndefined();
      expect(
        [...core.uploads.objectKeys(), ...core.media.objectKeys()].filter((key) => key.includes(`${id}/`)),
      ).toEqual([]);
      expect(new Set(core.published.map((event) => event.id)).size).toBe(1);
    },
  );

  it('deletes the video when the cache fails to mark it gone, and reports the failure', async () => {
    const core = inMemoryCore();
    const id = await videoWithObjects(core);
    const outage = new Error('Connection is closed.');
    jest.spyOn(core.cache, 'put').mockRejectedValueOnce(outage);

    await deleteVideo(core.deps, alice, id);

    expect(await core.catalog.get(id)).toBeUndefined();
    expect(core.cacheWriteFailures).toEqual([outage]);
  });

  it("refuses someone else's video before it deletes anything", async () => {
    const core = inMemoryCore();
    const id = await videoWithObjects(core);

    await expectRefused(deleteVideo(core.deps, caller('mallory'), id), 'FORBIDDEN');

    expect(writesIn(core)).toEqual([]);
    expect(await core.catalog.get(id)).toMatchObject({ status: 'UPLOADING' });
  });
});
