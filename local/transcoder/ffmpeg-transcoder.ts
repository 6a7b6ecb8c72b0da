import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../lambda/adapters/s3-object-store';
import type { TranscodeRequest, Transcoder } from '../../lambda/core/ports';
import { mediaPrefix } from '../../lambda/core/upload-plan';
import type { MediaConvertJobStateEvent, MediaConvertOutputGroupDetail } from '../../lambda/transcode/job-state-event';
import { buildJobStateEvent } from '../../lambda/transcode/job-state-event-builder';
import { checkRequest, type Job, newJobId } from './job';
import { JOB_ERROR_CODES, JobFailure, messageOf } from './job-errors';
import { JobJournal } from './job-journal';
import { JobQueue } from './job-queue';
import { GuardedProcesses } from './process-group';
import { type JobContext, transcodeJob } from './transcode-job';

/**
 * The local twin's MediaConvert: ffmpeg, driven by the same transcode plan, writing the same keys,
 * and announcing each finished job with the event EventBridge delivers for MediaConvert, so the
 * same job-state handler takes it from there. Jobs run one at a time (./job-queue.ts), each with
 * one ffmpeg run that decodes the source once (./transcode-job.ts).
 *
 * Like MediaConvert, it finishes what it accepted. With a journal folder (./job-journal.ts), each
 * accepted job is a file there until its final event has been delivered; a stop (`close()`) or a
 * crash leaves the file, and `resume()` at the next start queues those jobs again, in order,
 * under their own job ids, so their events match the job ids the catalog recorded.
 *
 * ffmpeg and ffprobe run in guarded process groups of their own (./process-group.ts): out of
 * reach of a terminal's Ctrl-C, and killed with the twin however it ends.
 */

export interface FfmpegTranscoderOptions {
  /**
   * An S3 client pointed at the S3-compatible server, built like `createS3Client` (checksums only
   * when required: the server mangles streamed uploads otherwise).
   */
  readonly s3: S3Client;
  readonly uploadBucket: string;
  readonly mediaBucket: string;
  /** Receives each finished job's event, shaped as EventBridge delivers MediaConvert's; the twin passes it to the same job-state handler as AWS. */
  readonly onJobEvent: (event: MediaConvertJobStateEvent) => Promise<unknown>;
  /** Where jobs work; @default os.tmpdir() */
  readonly workDirectory?: string;
  /**
   * A folder that keeps each accepted job (one `<job id>.json` file with its request) until its
   * final event was delivered, so that jobs cut short by a stop or a crash run again after
   * `resume()`. One transcoder at a time per folder; it is created if missing.
   * @default - no journal: a close drops unfinished jobs
   */
  readonly journalDirectory?: string;
  /** Told of unexpected failures (the job still ends with an ERROR event). */
  readonly onError?: (error: unknown) => void;
}

/** A job queued again by `resume()`. */
export interface ResumedJob {
  readonly jobId: string;
  readonly videoId: string;
}

/** The twin has no AWS account; the events carry this one. */
const LOCAL_ACCOUNT = '000000000000';
/** A job's work directory is `transcode-<job id>-<random>`, so a resumed job can clear its predecessor's. */
const workPrefixOf = (jobId: string) => `transcode-${jobId}-`;

/** How a job ended, as its event tells it. */
type JobOutcome =
  | { readonly status: 'COMPLETE'; readonly outputGroupDetails: readonly MediaConvertOutputGroupDetail[] }
  | { readonly status: 'ERROR'; readonly errorCode: number; readonly errorMessage: string };

export class FfmpegTranscoder implements Transcoder {
  readonly #options: FfmpegTranscoderOptions;
  readonly #media: S3ObjectStore;
  readonly #workDirectory: string;
  readonly #stop = new AbortController();
  readonly #processes = new GuardedProcesses(this.#stop.signal);
  readonly #journal: JobJournal;
  readonly #queue = new JobQueue(
    (job) => this.#run(job),
    (error) => this.#report(error),
  );
  readonly #context: JobContext;
  /**
   * Client token to job id: MediaConvert answers a repeated token with the first job. Pending
   * while the job's journal entry is written; a failed write forgets the token.
   */
  readonly #jobIds = new Map<string, Promise<string>>();
  #nextSequence = 0;
  #resumed?: Promise<readonly ResumedJob[]>;
  #region?: Promise<string>;

  constructor(options: FfmpegTranscoderOptions) {
    this.#options = options;
    this.#media = new S3ObjectStore(options.s3, options.mediaBucket);
    this.#workDirectory = options.workDirectory ?? tmpdir();
    this.#journal = new JobJournal(options.journalDirectory, (error) => this.#report(error));
    this.#context = {
      s3: options.s3,
      uploadBucket: options.uploadBucket,
      mediaBucket: options.mediaBucket,
      processes: this.#processes,
      stop: this.#stop.signal,
    };
  }

  /**
   * Accepts the job (journals it, when there is a journal) and answers with its id; the job's
   * event comes when it ends. A submit before `resume()` has read the journal waits for it, so
   * that resumed jobs keep their places and their client tokens.
   */
  async submit(request: TranscodeRequest): Promise<{ readonly jobId: string }> {
    this.#assertOpen();
    checkRequest(request);
    await this.resume();
    this.#assertOpen();
    const known = this.#jobIds.get(request.clientToken);
    if (known !== undefined) return { jobId: await known };
    const job: Job = { jobId: newJobId(), request, sequence: this.#nextSequence++ };
    const written = this.#journal.write(job);
    const jobId = written.then(() => job.jobId);
    jobId.catch(() => undefined);
    this.#jobIds.set(request.clientToken, jobId);
    try {
      await written;
    } catch (error) {
      this.#jobIds.delete(request.clientToken);
      throw error;
    }
    // Journaled, the job is accepted even if a close came meanwhile: it runs at the next start.
    if (!this.#stop.signal.aborted) this.#queue.add(job);
    return { jobId: job.jobId };
  }

  /**
   * Reads the journal once and queues its jobs (those accepted before a stop or a crash and not
   * yet announced) in the order they were accepted, under their own job ids; answers them. Call
   * it once at start, when `onJobEvent` can take events; a first `submit` calls it too. Without
   * a journal there is nothing to resume. Unreadable entries are reported and set aside as
   * `<name>.unreadable`; a write cut short (never accepted) is removed.
   */
  resume(): Promise<readonly ResumedJob[]> {
    if (this.#stop.signal.aborted) return Promise.reject(new Error('the transcoder is closed'));
    if (this.#resumed === undefined) {
      this.#resumed = this.#readJournal();
      // A failed read (say, an unreadable folder) may be tried again.
      this.#resumed.catch(() => {
        this.#resumed = undefined;
      });
    }
    return this.#resumed;
  }

  /** Resolves when no job is queued or running (their events delivered). */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /**
   * Stops: kills a running ffmpeg, drops queued jobs, waits for the running one to clean up its
   * temporary files. Jobs cut short announce nothing (the twin is going down); with a journal
   * they stay in it and run again after the next `resume()`, without one they are lost. What
   * they had uploaded stays: no playlist points at it, since the master is uploaded last, and a
   * job run again writes the same keys.
   */
  async close(): Promise<void> {
    this.#stop.abort();
    this.#queue.clear();
    this.#processes.killAll();
    await Promise.allSettled([this.#resumed, this.#journal.settled()]);
    await this.idle();
  }

  async #readJournal(): Promise<readonly ResumedJob[]> {
    const jobs = await this.#journal.read();
    for (const job of jobs) this.#nextSequence = Math.max(this.#nextSequence, job.sequence + 1);
    await this.#clearWorkOf(jobs.map((job) => job.jobId));
    // Closed meanwhile: the journal stays as it is for the next start.
    if (this.#stop.signal.aborted) return [];
    for (const job of jobs) {
      this.#jobIds.set(job.request.clientToken, Promise.resolve(job.jobId));
      this.#queue.add(job);
    }
    return jobs.map(({ jobId, request }) => ({ jobId, videoId: request.videoId }));
  }

  /** Removes what earlier runs of these jobs left in the work directory (a crash skips their clean-up). */
  async #clearWorkOf(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length === 0) return;
    const prefixes = jobIds.map(workPrefixOf);
    const names = await readdir(this.#workDirectory).catch(() => [] as string[]);
    for (const name of names)
      if (prefixes.some((prefix) => name.startsWith(prefix)))
        await rm(join(this.#workDirectory, name), { recursive: true, force: true }).catch((error) =>
          this.#report(error),
        );
  }

  /**
   * One job, start to event. Never throws: whatever happens ends in an event (or, once closed, in
   * nothing). The journal entry goes once the event was delivered; a job cut short by a close,
   * or whose event `onJobEvent` failed to take, stays journaled and runs again at the next start.
   */
  async #run(job: Job): Promise<void> {
    let directory: string | undefined;
    let event: MediaConvertJobStateEvent | undefined;
    try {
      directory = await mkdtemp(join(this.#workDirectory, workPrefixOf(job.jobId)));
      const outputGroupDetails = await transcodeJob(this.#context, job.request, directory);
      event = await this.#event(job, { status: 'COMPLETE', outputGroupDetails });
    } catch (error) {
      if (!this.#stop.signal.aborted) event = await this.#failed(job, error, directory);
    } finally {
      if (directory !== undefined) await rm(directory, { recursive: true, force: true }).catch((e) => this.#report(e));
    }
    // A job that finished before a close still announces itself; one the close cut short does not.
    if (event === undefined) return;
    try {
      await this.#options.onJobEvent(event);
    } catch (error) {
      this.#report(error);
      return;
    }
    await this.#journal.forget(job);
  }

  /** Removes what the job uploaded and builds its ERROR event; a failure that is a bug is reported too. */
  async #failed(job: Job, error: unknown, directory: string | undefined): Promise<MediaConvertJobStateEvent> {
    const failure =
      error instanceof JobFailure
        ? error
        : new JobFailure(JOB_ERROR_CODES.other, `The job could not finish: ${messageOf(error)}`);
    if (!(error instanceof JobFailure)) this.#report(error);
    try {
      await this.#media.deleteByPrefix(mediaPrefix(job.request.videoId));
    } catch (cleanupError) {
      this.#report(cleanupError);
    }
    // No message names the machine's temporary directories.
    const message =
      directory === undefined
        ? failure.message
        : failure.message.split(`${directory}${sep}`).join('').split(directory).join('.');
    return this.#event(job, { status: 'ERROR', errorCode: failure.errorCode, errorMessage: message });
  }

  async #event(job: Job, outcome: JobOutcome): Promise<MediaConvertJobStateEvent> {
    const region = await this.#resolveRegion();
    const { videoId, uploadId } = job.request;
    return buildJobStateEvent(
      { accountId: LOCAL_ACCOUNT, region },
      { jobId: job.jobId, userMetadata: { videoId, uploadId }, ...outcome },
    );
  }

  /** The S3 client's region names the twin's region in the events. */
  #resolveRegion(): Promise<string> {
    this.#region ??= this.#options.s3.config.region().catch(() => 'us-east-1');
    return this.#region;
  }

  #assertOpen(): void {
    if (this.#stop.signal.aborted) throw new Error('the transcoder is closed');
  }

  #report(error: unknown): void {
    try {
      this.#options.onError?.(error);
    } catch {
      // A failing error listener must not stop the queue.
    }
  }
}
