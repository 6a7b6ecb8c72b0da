import type { Job } from '../../../local/transcoder/job';
import { JobQueue } from '../../../local/transcoder/job-queue';

/** The transcoder's queue: one job at a time, in the order of acceptance, whatever the order of arrival. */

const jobOf = (sequence: number): Job => ({
  jobId: `job-${sequence}`,
  sequence,
  request: {
    videoId: `video-${sequence}`,
    uploadId: 'upload',
    sourceKey: 'source',
    clientToken: 'token',
  } as Job['request'],
});

/** A job run that waits until the test lets it finish, noting when each starts and ends. */
function gatedRuns() {
  const log: string[] = [];
  const gates = new Map<string, () => void>();
  const run = async (job: Job) => {
    log.push(`start ${job.jobId}`);
    await new Promise<void>((resolve) => gates.set(job.jobId, resolve));
    log.push(`end ${job.jobId}`);
  };
  const finish = async (jobId: string) => {
    while (!gates.has(jobId)) await new Promise((resolve) => setImmediate(resolve));
    gates.get(jobId)?.();
  };
  return { log, run, finish };
}

describe('the transcoder’s job queue', () => {
  it('runs one job at a time, in the order of acceptance, even when later ones arrive first', async () => {
    // Prepare
    const { log, run, finish } = gatedRuns();
    const queue = new JobQueue(run, (error) => log.push(`error ${error}`));

    // Act: job 0 runs; 3 and then 1 arrive while it does.
    queue.add(jobOf(0));
    queue.add(jobOf(3));
    queue.add(jobOf(1));
    for (const jobId of ['job-0', 'job-1', 'job-3']) await finish(jobId);
    await queue.idle();

    // Assess
    expect(log).toEqual(['start job-0', 'end job-0', 'start job-1', 'end job-1', 'start job-3', 'end job-3']);
  });

  it('reports a job that throws and goes on with the next', async () => {
    // Prepare
    const reported: unknown[] = [];
    const ran: string[] = [];
    const queue = new JobQueue(
      async (job) => {
        ran.push(job.jobId);
        if (job.sequence === 0) throw new Error('ffmpeg is gone');
      },
      (error) => reported.push(error),
    );

    // Act
    queue.add(jobOf(0));
    queue.add(jobOf(1));
    await queue.idle();

    // Assess
    expect(ran).toEqual(['job-0', 'job-1']);
    expect(reported).toEqual([new Error('ffmpeg is gone')]);
  });

  it('drops the queued jobs on clear and lets the running one finish', async () => {
    // Prepare
    const { log, run, finish } = gatedRuns();
    const queue = new JobQueue(run, (error) => log.push(`error ${error}`));
    queue.add(jobOf(0));
    queue.add(jobOf(1));

    // Act
    queue.clear();
    await finish('job-0');
    await queue.idle();

    // Assess
    expect(log).toEqual(['start job-0', 'end job-0']);
  });
});
