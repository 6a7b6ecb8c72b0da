import { readdirSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mediaPrefix, sourceKey } from '../../../lambda/core/upload-plan';
import { makeClip, NOT_A_VIDEO } from '../../../local/harness/clips';
import { durationOf, transcoderFixture } from './transcoder-fixture';

/** What a job makes of a source it cannot use: an ERROR event as MediaConvert's, and no outputs. */

const { servers, newTranscoder, newUpload, keysUnder } = transcoderFixture();

describe('ffmpeg standing in for MediaConvert: sources it cannot use', () => {
  it('answers garbage with an ERROR event MediaConvert-style, and leaves nothing under the video’s prefix', async () => {
    // Prepare: a text file as the source, and an object under the prefix as one already uploaded.
    const request = await newUpload(NOT_A_VIDEO, {
      width: 1920,
      height: 1080,
      durationSeconds: 0,
      hasAudio: true,
    });
    await servers().s3.send(
      new PutObjectCommand({
        Bucket: servers().mediaBucket,
        Key: `${mediaPrefix(request.videoId)}hls/master_1080p_00001.ts`,
        Body: 'partial',
      }),
    );
    const { transcoder, events, errors, workDirectory } = newTranscoder();

    // Act
    const { jobId } = await transcoder.submit(request);
    await transcoder.idle();

    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]?.detail).toMatchObject({ jobId, status: 'ERROR', errorCode: 1010 });
    const change = durationOf(events[0]);
    expect(change).toMatchObject({ status: 'ERROR', errorCode: '1010', videoId: request.videoId });
    expect(change.errorMessage).toBe('Unable to open input file: Invalid data found when processing input');
    expect(change.errorMessage).not.toContain(workDirectory);
    expect(await keysUnder(request.videoId)).toEqual([]);
    expect(errors).toEqual([]);
    expect(readdirSync(workDirectory)).toEqual([]);
  });

  it('fails a source cut off halfway instead of making a video of its first frames', async () => {
    // Prepare: a fast-start clip (its index first) without its last 70 %.
    const clip = await makeClip({ width: 640, height: 360, seconds: 2, audio: false, faststart: true });
    const request = await newUpload(clip.subarray(0, Math.floor(clip.length * 0.3)), {
      width: 640,
      height: 360,
      durationSeconds: 2,
      hasAudio: false,
    });
    const { transcoder, events, errors } = newTranscoder();

    // Act
    await transcoder.submit(request);
    await transcoder.idle();

    // Assess
    const change = durationOf(events[0]);
    expect(change).toMatchObject({ status: 'ERROR', errorCode: '1010' });
    expect(change.errorMessage).toMatch(/^Unable to read the whole input file: 0\.\d s of 2\.0 s decoded/);
    expect(await keysUnder(request.videoId)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('answers a missing source with an ERROR event saying so', async () => {
    // Prepare
    const request = await newUpload(Buffer.from('soon gone'), {
      width: 640,
      height: 360,
      durationSeconds: 1,
      hasAudio: false,
    });
    const { transcoder, events } = newTranscoder();

    // Act
    await transcoder.submit({ ...request, sourceKey: sourceKey('never-uploaded') });
    await transcoder.idle();

    // Assess
    expect(durationOf(events[0])).toMatchObject({
      status: 'ERROR',
      errorCode: '1010',
      errorMessage: 'Unable to open input file: the source object does not exist',
    });
  });
});
