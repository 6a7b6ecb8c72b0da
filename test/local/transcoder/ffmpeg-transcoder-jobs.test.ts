import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeClip } from '../../../local/harness/clips';
import { transcoderFixture } from './transcoder-fixture';

/** The transcoder's jobs as MediaConvert's queue keeps them: one per client token, one at a time, stopped on close. */

const { newTranscoder, newUpload, clipUpload, keysUnder } = transcoderFixture();

describe('ffmpeg standing in for MediaConvert: its jobs', () => {
  it('answers a repeated client token with the first job, and runs jobs one at a time in order', async () => {
    // Prepare
    const clip = await makeClip({ width: 320, height: 180, seconds: 1, audio: false });
    const info = { width: 320, height: 180, durationSeconds: 1, hasAudio: false };
    const [first, second] = [await newUpload(clip, info), await newUpload(clip, info)] as const;
    const { transcoder, events } = newTranscoder();

    // Act
    const firstJob = await transcoder.submit(first);
    const secondJob = await transcoder.submit(second);
    const repeatedJob = await transcoder.submit(first);
    await transcoder.idle();

    // Assess
    expect(repeatedJob.jobId).toBe(firstJob.jobId);
    expect(secondJob.jobId).not.toBe(firstJob.jobId);
    expect(events.map((event) => [event.detail.jobId, event.detail.status])).toEqual([
      [firstJob.jobId, 'COMPLETE'],
      [secondJob.jobId, 'COMPLETE'],
    ]);
  });

  it('stops on close: kills the running ffmpeg, drops the queue, announces nothing, cleans up', async () => {
    // Prepare: two jobs of a source long enough to still be encoding when the close comes.
    const request = await clipUpload({ width: 1280, height: 720, seconds: 4, audio: false });
    const queued = await newUpload(Buffer.from('never transcoded'), request.plan.source);
    const { transcoder, events, workDirectory } = newTranscoder();
    await transcoder.submit(request);
    await transcoder.submit(queued);
    // Wait for the first job's output directory: ffmpeg is about to run.
    const running = () =>
      readdirSync(workDirectory).some((job) => readdirSync(join(workDirectory, job)).includes('out'));
    for (let waited = 0; !running() && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(running()).toBe(true);

    // Act
    const started = Date.now();
    await transcoder.close();

    // Assess
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(events).toEqual([]);
    expect(readdirSync(workDirectory)).toEqual([]);
    expect(await keysUnder(request.videoId)).not.toContain(request.plan.hls.masterKey);
    await expect(transcoder.submit(queued)).rejects.toThrow(/closed/);
  });
});
