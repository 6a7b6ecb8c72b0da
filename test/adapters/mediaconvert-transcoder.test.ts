import { MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import { buildCreateJobInput } from '../../lambda/adapters/mediaconvert-job';
import { MediaConvertTranscoder } from '../../lambda/adapters/mediaconvert-transcoder';
import type { TranscodeRequest } from '../../lambda/core/ports';
import { type LadderSpec, planTranscode, UHD_LADDER } from '../../lambda/core/rendition-ladder';
import type { SourceInfo } from '../../lambda/core/source-info';
import {
  type MediaConvertEndpoint,
  type MediaConvertRequest,
  startMediaConvertEndpoint,
} from '../support/mediaconvert-endpoint';

/**
 * Against a stand-in for MediaConvert's REST-JSON endpoint: it keeps every request as the SDK
 * serialized it and answers CreateJob (`POST /2017-08-29/jobs`) with 201 and `{ job: {...} }`.
 */
const OPTIONS = {
  uploadBucket: 'vod-uploads',
  mediaBucket: 'vod-media',
  roleArn: 'arn:aws:iam::123456789012:role/vod-mediaconvert',
  queueArn: 'arn:aws:mediaconvert:eu-west-1:123456789012:queues/vod',
};

let endpoint: MediaConvertEndpoint;
let captured: MediaConvertRequest[];
let client: MediaConvertClient;
let transcoder: MediaConvertTranscoder;

beforeAll(async () => {
  endpoint = await startMediaConvertEndpoint();
  captured = endpoint.requests;
  client = new MediaConvertClient({
    region: 'eu-west-1',
    endpoint: endpoint.url,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  });
  transcoder = new MediaConvertTranscoder(client, OPTIONS);
});

afterAll(async () => {
  client.destroy();
  await endpoint.close();
});

beforeEach(() => endpoint.reset());

function request(videoId: string, source: Partial<SourceInfo> = {}, ladder?: LadderSpec): TranscodeRequest {
  const info: SourceInfo = { width: 1920, height: 1080, durationSeconds: 90, hasAudio: true, ...source };
  return {
    videoId,
    uploadId: `upload-of-${videoId}`,
    sourceKey: `uploads/${videoId}/source`,
    plan: planTranscode(videoId, info, ladder),
    clientToken: `transcode-${videoId}`,
  };
}

/** The one CreateJob body the fake received. */
function onlyJob(): any {
  expect(captured).toHaveLength(1);
  return (captured[0] as MediaConvertRequest).body;
}

const h264Of = (output: any) => output.videoDescription.codecSettings.h264Settings;

describe('the MediaConvert transcoder', () => {
  it('submits one CreateJob and returns the id MediaConvert gave the job', async () => {
    // Act
    const result = await transcoder.submit(request('vid1'));

    // Assess
    expect(endpoint.jobs).toHaveLength(1);
    expect(result).toEqual({ jobId: endpoint.jobs[0]?.id });
    expect(captured).toHaveLength(1);
    const [sent] = captured as [MediaConvertRequest];
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/2017-08-29/jobs');
    expect(sent.headers['content-type']).toMatch(/^application\/json/);
    expect(sent.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=x\/\d{8}\/eu-west-1\/mediaconvert\//);
  });

  it('sends the role, queue, client token and metadata that tie the job to the upload', async () => {
    // Act
    await transcoder.submit(request('vid2'));

    // Assess
    const job = onlyJob();
    expect(job.role).toBe(OPTIONS.roleArn);
    expect(job.queue).toBe(OPTIONS.queueArn);
    expect(job.clientRequestToken).toBe('transcode-vid2');
    expect(job.userMetadata).toEqual({ videoId: 'vid2', uploadId: 'upload-of-vid2' });
    expect(job.accelerationSettings).toEqual({ mode: 'DISABLED' });
    expect(job.billingTagsSource).toBe('JOB');
    expect(job.statusUpdateInterval).toBe('SECONDS_60');
    expect(job.tags).toBeUndefined();
  });

  it('reads the source from the upload bucket, rotated as its metadata says, with its audio', async () => {
    // Act
    await transcoder.submit(request('vid3'));

    // Assess
    const [input, ...others] = onlyJob().settings.inputs;
    expect(others).toEqual([]);
    expect(input).toEqual({
      fileInput: 's3://vod-uploads/uploads/vid3/source',
      videoSelector: { rotate: 'AUTO' },
      timecodeSource: 'ZEROBASED',
      audioSelectors: { 'Audio Selector 1': { defaultSelection: 'DEFAULT' } },
    });
  });

  it('writes three output groups to the media bucket: the HLS ladder, the MP4 and the thumbnails', async () => {
    // Act
    await transcoder.submit(request('vid4'));

    // Assess
    const groups = onlyJob().settings.outputGroups;
    expect(groups.map((group: any) => group.outputGroupSettings.type)).toEqual([
      'HLS_GROUP_SETTINGS',
      'FILE_GROUP_SETTINGS',
      'FILE_GROUP_SETTINGS',
    ]);
    const [hls, mp4, thumbs] = groups;
    expect(hls.outputGroupSettings.hlsGroupSettings.destination).toBe('s3://vod-media/v/vid4/hls/master');
    expect(mp4.outputGroupSettings.fileGroupSettings.destination).toBe('s3://vod-media/v/vid4/mp4/540p');
    expect(thumbs.outputGroupSettings.fileGroupSettings.destination).toBe('s3://vod-media/v/vid4/thumbs/thumb');
    // No encryption settings: S3 applies the media bucket's default (its KMS key).
    expect(hls.outputGroupSettings.hlsGroupSettings.destinationSettings).toBeUndefined();
    expect(mp4.outputGroupSettings.fileGroupSettings.destinationSettings).toBeUndefined();
  });

  it('encodes each HLS rung as single-pass QVBR H.264 at its size, quality and ceiling', async () => {
    // Act
    await transcoder.submit(request('vid5'));

    // Assess
    const { outputs } = onlyJob().settings.outputGroups[0];
    expect(
      outputs.map((output: any) => ({
        nameModifier: output.nameModifier,
        width: output.videoDescription.width,
        height: output.videoDescription.height,
        quality: h264Of(output).qvbrSettings.qvbrQualityLevel,
        maxBitrate: h264Of(output).maxBitrate,
      })),
    ).toEqual([
      { nameModifier: '_1080p', width: 1920, height: 1080, quality: 7, maxBitrate: 5_000_000 },
      { nameModifier: '_720p', width: 1280, height: 720, quality: 7, maxBitrate: 3_000_000 },
      { nameModifier: '_540p', width: 960, height: 540, quality: 7, maxBitrate: 1_800_000 },
      { nameModifier: '_360p', width: 640, height: 360, quality: 7, maxBitrate: 800_000 },
    ]);
    for (const output of outputs) {
      expect(output.containerSettings.container).toBe('M3U8');
      expect(output.videoDescription.codecSettings.codec).toBe('H_264');
      expect(h264Of(output)).toEqual(
        expect.objectContaining({
          rateControlMode: 'QVBR',
          qualityTuningLevel: 'SINGLE_PASS',
          codecProfile: 'HIGH',
          framerateControl: 'INITIALIZE_FROM_SOURCE',
        }),
      );
    }
  });

  it('encodes a 2160p source up to 1080p by default, and with UHD_LADDER adds the 4K rung at quality 8 up to 12 Mbit/s', async () => {
    // Act
    await transcoder.submit(request('vid16', { width: 3840, height: 2160 }));
    await transcoder.submit(request('vid17', { width: 3840, height: 2160 }, UHD_LADDER));

    // Assess
    expect(captured).toHaveLength(2);
    const [byDefault, uhd] = captured.map((sent) => sent.body.settings.outputGroups) as [any, any];
    const rung = (output: any) =>
      `${output.nameModifier ?? '-'} ${output.videoDescription.width}x${output.videoDescription.height} q${
        h264Of(output).qvbrSettings.qvbrQualityLevel
      }/${h264Of(output).maxBitrate}`;
    expect(byDefault[0].outputs.map(rung)).toEqual([
      '_1080p 1920x1080 q7/5000000',
      '_720p 1280x720 q7/3000000',
      '_540p 960x540 q7/1800000',
      '_360p 640x360 q7/800000',
    ]);
    expect(uhd[0].outputs.map(rung)).toEqual([
      '_2160p 3840x2160 q8/12000000',
      '_1080p 1920x1080 q7/5000000',
      '_720p 1280x720 q7/3000000',
      '_540p 960x540 q7/1800000',
      '_360p 640x360 q7/800000',
    ]);
    for (const groups of [byDefault, uhd]) {
      expect(groups[1].outputs.map(rung)).toEqual(['- 960x540 q7/1800000']);
      expect(groups[1].outputGroupSettings.fileGroupSettings.destination).toMatch(
        /^s3:\/\/vod-media\/v\/vid1[67]\/mp4\/540p$/,
      );
    }
  });

  it('aligns closed 2 s GOPs across every rung and cuts 6 s segments on GOP boundaries', async () => {
    // Act
    await transcoder.submit(request('vid6'));

    // Assess
    const [hls, mp4] = onlyJob().settings.outputGroups;
    expect(hls.outputGroupSettings.hlsGroupSettings).toEqual(
      expect.objectContaining({
        segmentLength: 6,
        segmentLengthControl: 'GOP_MULTIPLE',
        minSegmentLength: 0,
        directoryStructure: 'SINGLE_DIRECTORY',
        outputSelection: 'MANIFESTS_AND_SEGMENTS',
        clientCache: 'ENABLED',
      }),
    );
    for (const output of [...hls.outputs, ...mp4.outputs])
      expect(h264Of(output)).toEqual(
        expect.objectContaining({
          gopSize: 2,
          gopSizeUnits: 'SECONDS',
          gopClosedCadence: 1,
          sceneChangeDetect: 'TRANSITION_DETECTION',
        }),
      );
  });

  it('makes the MP4 at 540p with its index first, and JPEG thumbnails every 10 s, at most 60', async () => {
    // Act
    await transcoder.submit(request('vid7'));

    // Assess
    const [, mp4Group, thumbGroup] = onlyJob().settings.outputGroups;
    const [mp4] = mp4Group.outputs;
    expect(mp4Group.outputs).toHaveLength(1);
    expect(mp4.nameModifier).toBeUndefined();
    expect(mp4.extension).toBe('mp4');
    expect(mp4.containerSettings).toEqual({ container: 'MP4', mp4Settings: { moovPlacement: 'PROGRESSIVE_DOWNLOAD' } });
    expect([mp4.videoDescription.width, mp4.videoDescription.height]).toEqual([960, 540]);
    expect(h264Of(mp4)).toEqual(
      expect.objectContaining({
        rateControlMode: 'QVBR',
        qvbrSettings: { qvbrQualityLevel: 7 },
        maxBitrate: 1_800_000,
      }),
    );
    const [thumbs] = thumbGroup.outputs;
    expect(thumbGroup.outputs).toHaveLength(1);
    expect(thumbs.containerSettings).toEqual({ container: 'RAW' });
    expect(thumbs.audioDescriptions).toBeUndefined();
    expect([thumbs.videoDescription.width, thumbs.videoDescription.height]).toEqual([640, 360]);
    expect(thumbs.videoDescription.codecSettings).toEqual({
      codec: 'FRAME_CAPTURE',
      frameCaptureSettings: expect.objectContaining({
        framerateNumerator: 1,
        framerateDenominator: 10,
        maxCaptures: 60,
      }),
    });
  });

  it('muxes AAC-LC stereo into every video output when the source has audio', async () => {
    // Act
    await transcoder.submit(request('vid8'));

    // Assess
    const [hls, mp4] = onlyJob().settings.outputGroups;
    for (const output of [...hls.outputs, ...mp4.outputs])
      expect(output.audioDescriptions).toEqual([
        {
          audioSourceName: 'Audio Selector 1',
          codecSettings: {
            codec: 'AAC',
            aacSettings: expect.objectContaining({
              codecProfile: 'LC',
              codingMode: 'CODING_MODE_2_0',
              sampleRate: 48_000,
              bitrate: 128_000,
            }),
          },
        },
      ]);
  });

  it('asks for no audio at all when the source has none', async () => {
    // Act
    await transcoder.submit(request('vid9', { hasAudio: false }));

    // Assess
    const job = onlyJob();
    expect(job.settings.inputs[0].audioSelectors).toBeUndefined();
    for (const group of job.settings.outputGroups)
      for (const output of group.outputs) expect(output.audioDescriptions).toBeUndefined();
  });

  it('sizes a portrait phone video portrait, from the plan', async () => {
    // Act
    await transcoder.submit(request('vid10', { width: 1080, height: 1920 }));

    // Assess
    const [hls, mp4, thumbs] = onlyJob().settings.outputGroups;
    const size = (output: any) => `${output.videoDescription.width}x${output.videoDescription.height}`;
    expect(hls.outputs.map(size)).toEqual(['1080x1920', '720x1280', '540x960', '360x640']);
    expect(mp4.outputs.map(size)).toEqual(['540x960']);
    expect(mp4.outputGroupSettings.fileGroupSettings.destination).toBe('s3://vod-media/v/vid10/mp4/540p');
    expect(thumbs.outputs.map(size)).toEqual(['360x640']);
  });

  it('sends the same client token on a repeat, so MediaConvert answers with the first job', async () => {
    // Prepare
    const first = request('vid11');

    // Act
    await transcoder.submit(first);
    await transcoder.submit({ ...first });

    // Assess
    expect(captured.map((sent) => sent.body.clientRequestToken)).toEqual(['transcode-vid11', 'transcode-vid11']);
  });

  it('refuses a client token MediaConvert would refuse, before sending anything', async () => {
    // Prepare
    const tooLong = { ...request('vid12'), clientToken: 'x'.repeat(65) };
    const notAscii = { ...request('vid12'), clientToken: 'tökén' };

    // Act
    const submittingTooLong = transcoder.submit(tooLong);
    const submittingNotAscii = transcoder.submit(notAscii);

    // Assess
    await expect(submittingTooLong).rejects.toThrow(/clientToken must be 1 to 64/);
    await expect(submittingNotAscii).rejects.toThrow(/clientToken must be 1 to 64/);
    expect(captured).toEqual([]);
    expect(() =>
      buildCreateJobInput({ ...OPTIONS, request: { ...tooLong, clientToken: 'x'.repeat(64) } }),
    ).not.toThrow();
  });

  it('carries cost allocation tags when given some', async () => {
    // Prepare
    const tagged = new MediaConvertTranscoder(client, { ...OPTIONS, tags: { project: 'vod', stage: 'test' } });

    // Act
    await tagged.submit(request('vid13'));

    // Assess
    expect(onlyJob().tags).toEqual({ project: 'vod', stage: 'test' });
  });

  it('fails clearly when MediaConvert answers without a job id', async () => {
    // Prepare
    endpoint.answerWith({ id: undefined, arn: undefined });

    // Act
    const submitting = transcoder.submit(request('vid14'));

    // Assess
    await expect(submitting).rejects.toThrow('MediaConvert returned no job id for video vid14');
  });

  it("passes on MediaConvert's refusal as the SDK's error", async () => {
    // Prepare
    endpoint.failNext(1, 400, 'Invalid output group');

    // Act
    const submitting = transcoder.submit(request('vid15'));

    // Assess
    await expect(submitting).rejects.toEqual(
      expect.objectContaining({ name: 'BadRequestException', message: 'Invalid output group' }),
    );
    expect(captured).toHaveLength(1);
  });
});
