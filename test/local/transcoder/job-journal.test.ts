import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planTranscode } from '../../../lambda/core/rendition-ladder';
import { type Job, newJobId } from '../../../local/transcoder/job';
import { JobJournal } from '../../../local/transcoder/job-journal';
import { scratchDirectories } from '../../support/scratch';

/** The transcoder's crash journal on its own: what it keeps, what it gives back, what it sets aside. */

const scratch = scratchDirectories();
afterAll(() => scratch.removeAll());

const jobOf = (sequence: number, jobId = newJobId()): Job => {
  const videoId = `video-${sequence}`;
  return {
    jobId,
    sequence,
    request: {
      videoId,
      uploadId: `upload-${sequence}`,
      sourceKey: `uploads/${videoId}/source`,
      clientToken: `token-${sequence}`,
      plan: planTranscode(videoId, { width: 640, height: 360, durationSeconds: 1, hasAudio: true }),
    },
  };
};

function newJournal() {
  const directory = join(scratch.make('journal'), 'journal');
  const reported: unknown[] = [];
  return { directory, reported, journal: new JobJournal(directory, (error) => reported.push(error)) };
}

describe('the transcoder’s job journal', () => {
  it('gives back the jobs written and not forgotten, in the order they were accepted, after a restart', async () => {
    // Prepare: three jobs written out of order, one of them delivered.
    const { directory, reported, journal } = newJournal();
    await journal.read();
    const [first, second, third] = [jobOf(0, '1700000000000-cccccc'), jobOf(1, '1700000000000-aaaaaa'), jobOf(2)];
    for (const job of [third, first, second] as Job[]) await journal.write(job);
    await journal.forget(second as Job);

    // Act: a new journal on the same folder, as at the next start.
    const resumed = await new JobJournal(directory, (error) => reported.push(error)).read();

    // Assess
    expect(resumed).toEqual([first, third]);
    expect(reported).toEqual([]);
  });

  it('sets an unreadable entry aside and says why, and removes a write cut short', async () => {
    // Prepare
    const { directory, reported, journal } = newJournal();
    await journal.read();
    const kept = jobOf(0);
    await journal.write(kept);
    writeFileSync(join(directory, '1700000000000-zzzzzz.json'), '{"version":1');
    writeFileSync(join(directory, `${newJobId()}.json.tmp-0123abcd`), '{"ver');

    // Act
    const resumed = await journal.read();

    // Assess
    expect(resumed).toEqual([kept]);
    expect(readdirSync(directory).sort()).toEqual(
      [`${kept.jobId}.json`, '1700000000000-zzzzzz.json.unreadable'].sort(),
    );
    expect(reported).toEqual([
      expect.objectContaining({ message: expect.stringContaining('1700000000000-zzzzzz.json') }),
    ]);
    expect(JSON.parse(readFileSync(join(directory, `${kept.jobId}.json`), 'utf8'))).toMatchObject({
      version: 1,
      jobId: kept.jobId,
      sequence: 0,
      request: kept.request,
    });
  });

  it('keeps nothing and finds nothing without a folder', async () => {
    // Prepare
    const journal = new JobJournal(undefined, () => undefined);

    // Act
    await journal.write(jobOf(0));

    // Assess
    expect(await journal.read()).toEqual([]);
  });
});
