import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TranscodeRequest } from '../../lambda/core/ports';
import { checkRequest, JOB_ID_PATTERN, type Job } from './job';
import { messageOf } from './job-errors';

/**
 * The transcoder's crash journal: a folder with one `<job id>.json` file per accepted job, kept
 * until the job's final event has been delivered, so that jobs cut short by a stop or a crash
 * run again at the next start, in order, under their own job ids. One transcoder at a time per
 * folder. Without a folder there is no journal: writes and removals do nothing, reads find nothing.
 */

const JOURNAL_VERSION = 1;
/** Journal files are `<job id>.json`, written as `<job id>.json.tmp-<random>` and renamed. */
const JOURNAL_SUFFIX = '.json';
const JOURNAL_TEMP_MARK = '.tmp-';

/** One journal file: what `resume()` needs to run the job again as it was accepted. */
interface JournalEntry {
  readonly version: typeof JOURNAL_VERSION;
  readonly sequence: number;
  readonly jobId: string;
  /** ISO 8601; for people reading the folder. */
  readonly acceptedAt: string;
  readonly request: TranscodeRequest;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** A journal file's entry, checked as a request to `submit` would be; throws saying what is wrong. */
function parseJournalEntry(name: string, text: string): JournalEntry {
  const entry = JSON.parse(text) as unknown;
  if (!isObject(entry) || entry.version !== JOURNAL_VERSION) throw new Error('not a journal entry of this version');
  const { jobId, sequence, request } = entry;
  if (typeof jobId !== 'string' || !JOB_ID_PATTERN.test(jobId) || `${jobId}${JOURNAL_SUFFIX}` !== name)
    throw new Error('its job id does not match its name');
  if (!Number.isSafeInteger(sequence)) throw new Error('it has no sequence number');
  if (!isObject(request) || !isObject(request.plan)) throw new Error('it has no transcode request');
  for (const field of ['videoId', 'uploadId', 'sourceKey', 'clientToken'] as const)
    if (typeof request[field] !== 'string') throw new Error(`its request has no ${field}`);
  checkRequest(request as unknown as TranscodeRequest);
  return entry as unknown as JournalEntry;
}

/** Writes a whole file or none: a temporary file, flushed to disk, then renamed over the name. */
async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}${JOURNAL_TEMP_MARK}${randomBytes(4).toString('hex')}`;
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}

export class JobJournal {
  readonly #directory: string | undefined;
  readonly #report: (error: unknown) => void;
  /** Writes under way, which a close waits for. */
  readonly #writes = new Set<Promise<unknown>>();

  /** `report` is told of entries set aside and of files that could not be removed. */
  constructor(directory: string | undefined, report: (error: unknown) => void) {
    this.#directory = directory;
    this.#report = report;
  }

  /** Writes the job's entry; the job is accepted once it is written. */
  async write(job: Job): Promise<void> {
    const directory = this.#directory;
    if (directory === undefined) return;
    const entry: JournalEntry = {
      version: JOURNAL_VERSION,
      sequence: job.sequence,
      jobId: job.jobId,
      acceptedAt: new Date().toISOString(),
      request: job.request,
    };
    const written = writeFileAtomically(join(directory, `${job.jobId}${JOURNAL_SUFFIX}`), JSON.stringify(entry));
    this.#writes.add(written);
    try {
      await written;
    } finally {
      this.#writes.delete(written);
    }
  }

  /** Removes the entry of a job whose final event was delivered. */
  async forget(job: Job): Promise<void> {
    const directory = this.#directory;
    if (directory === undefined) return;
    try {
      await rm(join(directory, `${job.jobId}${JOURNAL_SUFFIX}`), { force: true });
    } catch (error) {
      // The job would run again at the next start; its repeated event changes nothing.
      this.#report(error);
    }
  }

  /**
   * The journaled jobs, in the order they were accepted; creates the folder if missing.
   * Unreadable entries are reported and set aside as `<name>.unreadable`; a write cut short
   * (never accepted) is removed.
   */
  async read(): Promise<Job[]> {
    const directory = this.#directory;
    if (directory === undefined) return [];
    await mkdir(directory, { recursive: true });
    const entries: JournalEntry[] = [];
    for (const name of (await readdir(directory)).sort()) {
      const path = join(directory, name);
      if (name.includes(JOURNAL_TEMP_MARK)) {
        await rm(path, { force: true });
        continue;
      }
      if (!name.endsWith(JOURNAL_SUFFIX)) continue;
      try {
        entries.push(parseJournalEntry(name, await readFile(path, 'utf8')));
      } catch (error) {
        this.#report(new Error(`the journal entry ${name} cannot be resumed (${messageOf(error)}); set aside`));
        await rename(path, `${path}.unreadable`).catch((renameError) => this.#report(renameError));
      }
    }
    entries.sort((a, b) => a.sequence - b.sequence || (a.jobId < b.jobId ? -1 : 1));
    return entries.map(({ jobId, request, sequence }) => ({ jobId, request, sequence }));
  }

  /** Resolves once the writes under way have ended, written or not. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#writes]);
  }
}
