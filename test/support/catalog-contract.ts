import { type Catalog, ConditionFailed } from '../../lambda/core/ports';
import type { TranscodeClaim, VideoRecord } from '../../lambda/core/video';

/** A catalog to test, and how to let go of what it runs on. */
export interface CatalogUnderTest {
  readonly catalog: Catalog;
  close(): Promise<void>;
}

/**
 * What the core relies on from its catalog, run against each implementation: the DynamoDB
 * adapter (on dynalite) and the in-memory catalog the core's unit tests use, so the two agree.
 */
export function describeCatalogContract(subject: string, open: () => Promise<CatalogUnderTest>): void {
  let underTest: CatalogUnderTest;
  let catalog: Catalog;
  beforeAll(async () => {
    underTest = await open();
    catalog = underTest.catalog;
  });
  afterAll(async () => underTest.close());

  let sequence = 0;
  function record(overrides: Partial<VideoRecord> = {}): VideoRecord {
    const id = overrides.id ?? `video-${++sequence}`;
    return {
      id,
      ownerId: 'alice',
      title: `Video ${id}`,
      description: '',
      visibility: 'public',
      status: 'UPLOADING',
      fileName: 'clip.mp4',
      contentType: 'video/mp4',
      sizeBytes: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      upload: { key: `uploads/${id}/source`, uploadId: `upload-of-${id}`, partSize: 8 * 1024 * 1024, partCount: 1 },
      ...overrides,
    };
  }

  const later = '2026-01-02T00:00:00.000Z';

  async function allPages(ownerId: string, limit: number): Promise<VideoRecord[][]> {
    const pages: VideoRecord[][] = [];
    let after: { id: string; createdAt: string } | undefined;
    do {
      const page = await catalog.listByOwner(ownerId, limit, after);
      pages.push(page.items);
      after = page.next;
    } while (after !== undefined && pages.length < 50);
    return pages;
  }

  describe(subject, () => {
    it('reads back the record it created, field for field', async () => {
      const created = record({ description: 'Line\nbreak', visibility: 'private' });

      await catalog.create(created);

      expect(await catalog.get(created.id)).toEqual(created);
    });

    it('refuses to create a record whose id exists, and keeps the first', async () => {
      const first = record();

      await catalog.create(first);

      await expect(catalog.create({ ...first, ownerId: 'mallory' })).rejects.toThrow(ConditionFailed);
      expect((await catalog.get(first.id))?.ownerId).toBe('alice');
    });

    it('makes a transition once: a second transition from the same state throws ConditionFailed', async () => {
      const video = record();
      await catalog.create(video);

      const moved = await catalog.transition(video.id, 'UPLOADING', { status: 'PROCESSING', updatedAt: later });

      expect(moved).toEqual({ ...video, status: 'PROCESSING', updatedAt: later });
      await expect(
        catalog.transition(video.id, 'UPLOADING', {
          status: 'FAILED',
          updatedAt: later,
          error: { code: 'UPLOAD_ABORTED', message: 'late' },
        }),
      ).rejects.toThrow(ConditionFailed);
      expect(await catalog.get(video.id)).toEqual(moved);
    });

    it('lets exactly one of many racing transitions from the same state win', async () => {
      const video = record();
      await catalog.create(video);

      const outcomes = await Promise.allSettled(
        Array.from({ length: 5 }, (_, n) =>
          catalog.transition(video.id, 'UPLOADING', { status: 'PROCESSING', updatedAt: `2026-01-02T00:00:0${n}.000Z` }),
        ),
      );

      const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const lost = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(4);
      for (const reason of lost) expect(reason).toBeInstanceOf(ConditionFailed);
      expect(await catalog.get(video.id)).toEqual(won[0]?.status === 'fulfilled' ? won[0].value : undefined);
    });

    it('stores what a transition to READY brings, and keeps the rest', async () => {
      const video = record();
      await catalog.create(video);
      await catalog.transition(video.id, 'UPLOADING', { status: 'PROCESSING', updatedAt: later });
      const outputs = { hls: `v/${video.id}/hls/master.m3u8`, mp4: `v/${video.id}/mp4/720p.mp4`, thumbnail: 'x.jpg' };

      const ready = await catalog.transition(video.id, 'PROCESSING', {
        status: 'READY',
        updatedAt: later,
        durationSeconds: 61.5,
        renditions: [{ width: 1280, height: 720, bitrateKbps: 3000 }],
        outputs,
      });

      expect(ready).toEqual({
        ...video,
        status: 'READY',
        updatedAt: later,
        durationSeconds: 61.5,
        renditions: [{ width: 1280, height: 720, bitrateKbps: 3000 }],
        outputs,
      });
    });

    it('refuses a transition of an unknown id without creating a record', async () => {
      await expect(
        catalog.transition('never-created', 'UPLOADING', { status: 'PROCESSING', updatedAt: later }),
      ).rejects.toThrow(ConditionFailed);

      expect(await catalog.get('never-created')).toBeUndefined();
    });

    it('changes details for the owner, only the fields given', async () => {
      const video = record({ description: 'Keep me' });
      await catalog.create(video);

      const updated = await catalog.updateDetails(video.id, 'alice', { title: 'Renamed', updatedAt: later });

      expect(updated).toEqual({ ...video, title: 'Renamed', updatedAt: later });
    });

    it('refuses a change of details by anyone but the owner, and of an unknown id, and writes nothing', async () => {
      const video = record();
      await catalog.create(video);

      await expect(
        catalog.updateDetails(video.id, 'mallory', { title: 'Pwned', visibility: 'private', updatedAt: later }),
      ).rejects.toThrow(ConditionFailed);
      await expect(
        catalog.updateDetails('never-created-either', 'alice', { title: 'x', updatedAt: later }),
      ).rejects.toThrow(ConditionFailed);

      expect(await catalog.get(video.id)).toEqual(video);
      expect(await catalog.get('never-created-either')).toBeUndefined();
    });

    it('deletes for the owner only, and deleting what is gone is no error', async () => {
      const video = record();
      await catalog.create(video);

      await expect(catalog.delete(video.id, 'mallory')).rejects.toThrow(ConditionFailed);
      const afterRefusal = await catalog.get(video.id);
      await catalog.delete(video.id, 'alice');
      await catalog.delete(video.id, 'alice');

      expect(afterRefusal).toEqual(video);
      expect(await catalog.get(video.id)).toBeUndefined();
    });

    describe('the transcoding claim', () => {
      const claim = (claimedAt: string, jobId?: string): TranscodeClaim => ({
        uploadId: 'upload-1',
        clientToken: 'token-1',
        claimedAt,
        source: { width: 1920, height: 1080, durationSeconds: 10, hasAudio: true },
        ...(jobId === undefined ? {} : { jobId }),
      });
      const processing = async () => {
        const video = record();
        await catalog.create(video);
        await catalog.transition(video.id, 'UPLOADING', { status: 'PROCESSING', updatedAt: later });
        return video.id;
      };

      it('is made once: a second claim while the first is fresh throws ConditionFailed', async () => {
        const id = await processing();

        const claimed = await catalog.claimTranscode(id, claim('2026-01-02T00:00:00.000Z'), '2026-01-01T23:00:00.000Z');

        expect(claimed.transcode).toEqual(claim('2026-01-02T00:00:00.000Z'));
        await expect(
          catalog.claimTranscode(id, claim('2026-01-02T00:00:01.000Z'), '2026-01-01T23:00:01.000Z'),
        ).rejects.toThrow(ConditionFailed);
        expect((await catalog.get(id))?.transcode).toEqual(claim('2026-01-02T00:00:00.000Z'));
      });

      it('is taken over once stale if it never got a job, and never once it has one', async () => {
        const stale = await processing();
        const started = await processing();
        await catalog.claimTranscode(stale, claim('2026-01-02T00:00:00.000Z'), '2026-01-01T00:00:00.000Z');
        await catalog.claimTranscode(started, claim('2026-01-02T00:00:00.000Z'), '2026-01-01T00:00:00.000Z');
        await catalog.recordTranscodeJob(started, { ...claim('2026-01-02T00:00:00.000Z'), jobId: 'job-1' });

        const takenOver = await catalog.claimTranscode(
          stale,
          claim('2026-01-02T01:00:00.000Z'),
          '2026-01-02T00:30:00.000Z',
        );

        expect(takenOver.transcode).toEqual(claim('2026-01-02T01:00:00.000Z'));
        await expect(
          catalog.claimTranscode(started, claim('2026-01-02T01:00:00.000Z'), '2026-01-02T00:30:00.000Z'),
        ).rejects.toThrow(ConditionFailed);
        expect((await catalog.get(started))?.transcode).toEqual(claim('2026-01-02T00:00:00.000Z', 'job-1'));
      });

      it('is refused on a video that is not PROCESSING, and on an unknown id, without writing', async () => {
        const uploading = record();
        await catalog.create(uploading);

        await expect(catalog.claimTranscode(uploading.id, claim('2026-01-02T00:00:00.000Z'), later)).rejects.toThrow(
          ConditionFailed,
        );
        await expect(catalog.claimTranscode('never-claimed', claim('2026-01-02T00:00:00.000Z'), later)).rejects.toThrow(
          ConditionFailed,
        );

        expect(await catalog.get(uploading.id)).toEqual(uploading);
        expect(await catalog.get('never-claimed')).toBeUndefined();
      });

      it('records the job only under the claim it was made under', async () => {
        const id = await processing();
        await catalog.claimTranscode(id, claim('2026-01-02T00:00:00.000Z'), later);
        const unclaimed = await processing();

        await expect(
          catalog.recordTranscodeJob(id, { ...claim('2026-01-02T00:00:05.000Z'), jobId: 'job-of-another-claim' }),
        ).rejects.toThrow(ConditionFailed);
        await expect(
          catalog.recordTranscodeJob(unclaimed, { ...claim('2026-01-02T00:00:00.000Z'), jobId: 'job-1' }),
        ).rejects.toThrow(ConditionFailed);
        const recorded = await catalog.recordTranscodeJob(id, { ...claim('2026-01-02T00:00:00.000Z'), jobId: 'job-1' });

        expect(recorded.transcode).toEqual(claim('2026-01-02T00:00:00.000Z', 'job-1'));
        expect((await catalog.get(unclaimed))?.transcode).toBeUndefined();
      });
    });

    describe('listByOwner', () => {
      const owner = 'paginated-owner';
      const times = ['2026-03-01', '2026-03-05', '2026-03-02', '2026-03-04', '2026-03-03'].map(
        (day) => `${day}T12:00:00.000Z`,
      );
      let newestFirst: string[];
      beforeAll(async () => {
        const mine = times.map((createdAt) => record({ ownerId: owner, createdAt }));
        for (const video of mine) await catalog.create(video);
        await catalog.create(record({ ownerId: 'someone-else', createdAt: '2026-03-03T13:00:00.000Z' }));
        newestFirst = [...mine].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((video) => video.id);
      });

      it("pages through the owner's videos only, newest first", async () => {
        const pages = await allPages(owner, 2);

        expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
        expect(pages.flat().map((video) => video.id)).toEqual(newestFirst);
      });

      it('gives a cursor after every full page, even the last, and none after a short one', async () => {
        const pages = await allPages(owner, times.length);

        expect(pages.map((page) => page.length)).toEqual([times.length, 0]);
      });

      it('gives every video once, across pages, when several share a creation time', async () => {
        const tied = 'owner-with-ties';
        const ids: string[] = [];
        for (let n = 0; n < 4; n++) {
          const video = record({ ownerId: tied, createdAt: '2026-04-01T00:00:00.000Z' });
          ids.push(video.id);
          await catalog.create(video);
        }

        const pages = await allPages(tied, 1);

        expect(
          pages
            .flat()
            .map((video) => video.id)
            .sort(),
        ).toEqual(ids.sort());
      });

      it('starts after a cursor that names no video, by its time, within the owner’s videos', async () => {
        const page = await catalog.listByOwner(owner, 10, { id: 'not-a-video', createdAt: '2026-03-03T18:00:00.000Z' });

        expect(page.items.map((video) => video.createdAt)).toEqual([
          '2026-03-03T12:00:00.000Z',
          '2026-03-02T12:00:00.000Z',
          '2026-03-01T12:00:00.000Z',
        ]);
        expect(page.items.every((video) => video.ownerId === owner)).toBe(true);
      });

      it('answers an empty page for an owner with no videos', async () => {
        expect(await catalog.listByOwner('nobody', 5)).toEqual({ items: [], next: undefined });
      });
    });
  });
}
