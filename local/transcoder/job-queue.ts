import type { Job } from './job';

/**
 * The transcoder's queue: accepted jobs in the order of acceptance, run one at a time (one
 * machine stands in for a service).
 */
export class JobQueue {
  readonly #queue: Job[] = [];
  readonly #run: (job: Job) => Promise<void>;
  readonly #report: (error: unknown) => void;
  #draining = false;
  #drained: Promise<void> = Promise.resolve();

  /** `run` does one job; what it throws goes to `report`, and the queue goes on. */
  constructor(run: (job: Job) => Promise<void>, report: (error: unknown) => void) {
    this.#run = run;
    this.#report = report;
  }

  /** Queues the job by its sequence number (journal writes may finish out of order) and starts the queue. */
  add(job: Job): void {
    const at = this.#queue.findIndex((queued) => queued.sequence > job.sequence);
    if (at === -1) this.#queue.push(job);
    else this.#queue.splice(at, 0, job);
    this.#drain();
  }

  /** Drops the queued jobs; a running one runs on. */
  clear(): void {
    this.#queue.length = 0;
  }

  /** Resolves when no job is queued or running. */
  async idle(): Promise<void> {
    while (this.#draining) await this.#drained;
  }

  /** Runs queued jobs one after another; the flag is cleared in the same turn the queue is found empty. */
  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#drained = (async () => {
      try {
        for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift())
          await this.#run(job).catch((error) => this.#report(error));
      } finally {
        this.#draining = false;
      }
    })();
  }
}
