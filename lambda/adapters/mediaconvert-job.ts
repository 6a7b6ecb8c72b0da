import {
  AacCodecProfile,
  AacCodingMode,
  AacRateControlMode,
  AacSpecification,
  AccelerationMode,
  AudioCodec,
  AudioDefaultSelection,
  type AudioDescription,
  BillingTagsSource,
  ContainerType,
  type CreateJobCommandInput,
  H264CodecLevel,
  H264CodecProfile,
  H264FramerateControl,
  H264GopSizeUnits,
  H264InterlaceMode,
  H264ParControl,
  H264QualityTuningLevel,
  H264RateControlMode,
  H264SceneChangeDetect,
  HlsClientCache,
  HlsCodecSpecification,
  HlsDirectoryStructure,
  HlsManifestCompression,
  HlsManifestDurationFormat,
  HlsOutputSelection,
  HlsSegmentControl,
  HlsSegmentLengthControl,
  HlsStreamInfResolution,
  InputRotate,
  InputTimecodeSource,
  Mp4MoovPlacement,
  type Output,
  type OutputGroup,
  OutputGroupType,
  ScalingBehavior,
  StatusUpdateInterval,
  VideoCodec,
  type VideoDescription,
} from '@aws-sdk/client-mediaconvert';
import type { TranscodeRequest } from '../core/ports';
import {
  type AudioPlan,
  hlsBase,
  hlsNameModifier,
  mp4Base,
  type TranscodePlan,
  thumbnailBase,
  type VideoRung,
} from '../core/rendition-ladder';

/**
 * The MediaConvert CreateJob request for one transcode plan: the only place that knows
 * MediaConvert's settings. The plan (lambda/core/rendition-ladder.ts) decides what to make; this
 * file decides how MediaConvert makes it, and names the files the way the plan's keys expect.
 *
 * Cost: every setting keeps the job in the Basic tier (single-pass QVBR H.264 and AAC, no
 * acceleration), and the job makes one HLS ladder, one MP4 and the thumbnails, nothing more.
 *
 * Encryption: the outputs carry no encryption settings on purpose. MediaConvert then writes
 * without SSE headers and S3 applies the media bucket's default encryption (its customer managed
 * KMS key, with an S3 Bucket Key). Choosing SSE-KMS here without a key ARN would use the AWS
 * managed `aws/s3` key instead, which CloudFront's origin access control cannot be granted.
 */

export interface MediaConvertJobOptions {
  readonly request: TranscodeRequest;
  /** Holds the source, at `request.sourceKey`. */
  readonly uploadBucket: string;
  /** Receives the outputs, under `v/{id}/`. */
  readonly mediaBucket: string;
  /** The role MediaConvert assumes to read the source and write the outputs. */
  readonly roleArn: string;
  readonly queueArn: string;
  /** Cost allocation tags for the job (billed by job tags, see `BillingTagsSource`). */
  readonly tags?: Readonly<Record<string, string>>;
}

/** MediaConvert's limit on `ClientRequestToken`: up to 64 ASCII characters (printable, here). */
const CLIENT_TOKEN_PATTERN = /^[\x20-\x7E]{1,64}$/;
/** The input's one audio selector; every output's audio reads it. */
const AUDIO_SELECTOR = 'Audio Selector 1';
/** Frame-capture JPEG quality, 1 to 100: small files that still look fine as a poster. */
const THUMBNAIL_QUALITY = 80;

const AAC_CODING_MODES: Readonly<Record<number, AacCodingMode>> = {
  1: AacCodingMode.CODING_MODE_1_0,
  2: AacCodingMode.CODING_MODE_2_0,
};

const s3Uri = (bucket: string, key: string): string => `s3://${bucket}/${key}`;

/**
 * H.264 for one rung, the same for the HLS rungs and the MP4:
 * - QVBR, single pass: quality-targeted bitrate under the rung's ceiling, in the Basic tier;
 * - closed GOPs of the plan's length in seconds, with scene-change detection that only adds
 *   I-frames inside a GOP (`TRANSITION_DETECTION`), so IDR frames fall at the same times on every
 *   rung and a player can switch rungs at any segment boundary;
 * - High profile on every rung: every HLS client in use today (iOS, Android, MSE browsers, smart
 *   TVs) decodes it, and it spends fewer bits than Main at the same quality, which matters most
 *   on the small rungs that serve poor connections;
 * - square pixels at the plan's size: the plan sizes every rung from the source's display aspect
 *   ratio, so the output must not inherit the source's pixel aspect ratio on top.
 */
function h264Video(rung: VideoRung, gopSeconds: number): VideoDescription {
  return {
    Width: rung.width,
    Height: rung.height,
    // The size already has the source's aspect ratio; stretching only absorbs the rounding to
    // even pixels, where the default (fit with padding) could add a one-pixel black bar.
    ScalingBehavior: ScalingBehavior.STRETCH_TO_OUTPUT,
    CodecSettings: {
      Codec: VideoCodec.H_264,
      H264Settings: {
        RateControlMode: H264RateControlMode.QVBR,
        QvbrSettings: { QvbrQualityLevel: rung.qvbrQuality },
        MaxBitrate: rung.maxBitrateKbps * 1000,
        QualityTuningLevel: H264QualityTuningLevel.SINGLE_PASS,
        CodecProfile: H264CodecProfile.HIGH,
        CodecLevel: H264CodecLevel.AUTO,
        GopSize: gopSeconds,
        GopSizeUnits: H264GopSizeUnits.SECONDS,
        GopClosedCadence: 1,
        SceneChangeDetect: H264SceneChangeDetect.TRANSITION_DETECTION,
        FramerateControl: H264FramerateControl.INITIALIZE_FROM_SOURCE,
        InterlaceMode: H264InterlaceMode.PROGRESSIVE,
        ParControl: H264ParControl.SPECIFIED,
        ParNumerator: 1,
        ParDenominator: 1,
      },
    },
  };
}

function aacAudio(audio: AudioPlan): AudioDescription {
  const codingMode = AAC_CODING_MODES[audio.channels];
  if (codingMode === undefined) throw new RangeError(`AAC audio must have 1 or 2 channels, got ${audio.channels}`);
  return {
    AudioSourceName: AUDIO_SELECTOR,
    CodecSettings: {
      Codec: AudioCodec.AAC,
      AacSettings: {
        CodecProfile: AacCodecProfile.LC,
        CodingMode: codingMode,
        SampleRate: audio.sampleRateHz,
        Bitrate: audio.bitrateKbps * 1000,
        RateControlMode: AacRateControlMode.CBR,
        Specification: AacSpecification.MPEG4,
      },
    },
  };
}

/** The video outputs' audio: muxed into each, or none when the source has no audio track. */
const audioOf = (plan: TranscodePlan): Pick<Output, 'AudioDescriptions'> =>
  plan.audio === undefined ? {} : { AudioDescriptions: [aacAudio(plan.audio)] };

/**
 * The HLS ladder: `{base}.m3u8` and, per rung, `{base}_{name}.m3u8` with its TS segments, all in
 * one directory. Segments are a whole number of GOPs (`GOP_MULTIPLE`), so each starts on an IDR
 * frame. Manifest flags are group settings in MediaConvert, shared by every rendition. Segment
 * durations are written as decimals (`FLOATING_POINT`): with 29.97 fps sources a "6 s" segment is
 * 6.006 s, and whole-second EXTINF values would let a player's idea of the timeline drift.
 */
function hlsGroup(plan: TranscodePlan, mediaBucket: string): OutputGroup {
  return {
    Name: 'HLS',
    OutputGroupSettings: {
      Type: OutputGroupType.HLS_GROUP_SETTINGS,
      HlsGroupSettings: {
        Destination: s3Uri(mediaBucket, hlsBase(plan.videoId)),
        SegmentLength: plan.hls.segmentSeconds,
        SegmentLengthControl: HlsSegmentLengthControl.GOP_MULTIPLE,
        MinSegmentLength: 0,
        SegmentControl: HlsSegmentControl.SEGMENTED_FILES,
        DirectoryStructure: HlsDirectoryStructure.SINGLE_DIRECTORY,
        OutputSelection: HlsOutputSelection.MANIFESTS_AND_SEGMENTS,
        ManifestDurationFormat: HlsManifestDurationFormat.FLOATING_POINT,
        ManifestCompression: HlsManifestCompression.NONE,
        ClientCache: HlsClientCache.ENABLED,
        CodecSpecification: HlsCodecSpecification.RFC_4281,
        StreamInfResolution: HlsStreamInfResolution.INCLUDE,
      },
    },
    Outputs: plan.hls.rungs.map(
      (rung): Output => ({
        NameModifier: hlsNameModifier(rung),
        ContainerSettings: { Container: ContainerType.M3U8, M3u8Settings: {} },
        OutputSettings: { HlsSettings: {} },
        VideoDescription: h264Video(rung, plan.gopSeconds),
        ...audioOf(plan),
      }),
    ),
  };
}

/** The progressive download, `{base}.mp4`, with the index first so playback starts at once. */
function mp4Group(plan: TranscodePlan, mediaBucket: string): OutputGroup {
  return {
    Name: 'MP4',
    OutputGroupSettings: {
      Type: OutputGroupType.FILE_GROUP_SETTINGS,
      FileGroupSettings: { Destination: s3Uri(mediaBucket, mp4Base(plan.videoId, plan.mp4.rung)) },
    },
    Outputs: [
      {
        Extension: 'mp4',
        ContainerSettings: {
          Container: ContainerType.MP4,
          Mp4Settings: { MoovPlacement: Mp4MoovPlacement.PROGRESSIVE_DOWNLOAD },
        },
        VideoDescription: h264Video(plan.mp4.rung, plan.gopSeconds),
        ...audioOf(plan),
      },
    ],
  };
}

/** JPEG frame captures, `{base}.0000000.jpg`, `{base}.0000001.jpg`, …, one every interval. */
function thumbnailGroup(plan: TranscodePlan, mediaBucket: string): OutputGroup {
  const { width, height, intervalSeconds, maxCaptures } = plan.thumbnails;
  return {
    Name: 'Thumbnails',
    OutputGroupSettings: {
      Type: OutputGroupType.FILE_GROUP_SETTINGS,
      FileGroupSettings: { Destination: s3Uri(mediaBucket, thumbnailBase(plan.videoId)) },
    },
    Outputs: [
      {
        Extension: 'jpg',
        ContainerSettings: { Container: ContainerType.RAW },
        VideoDescription: {
          Width: width,
          Height: height,
          ScalingBehavior: ScalingBehavior.STRETCH_TO_OUTPUT,
          CodecSettings: {
            Codec: VideoCodec.FRAME_CAPTURE,
            FrameCaptureSettings: {
              FramerateNumerator: 1,
              FramerateDenominator: intervalSeconds,
              MaxCaptures: maxCaptures,
              Quality: THUMBNAIL_QUALITY,
            },
          },
        },
      },
    ],
  };
}

/**
 * The CreateJob request. `ClientRequestToken` is the request's client token, the same on every
 * attempt for one upload, so a redelivered queue message gets the first job back rather than a
 * second, billed one. `UserMetadata` comes back in every job-state event, which is how the event
 * handler finds the video without a lookup.
 */
export function buildCreateJobInput(options: MediaConvertJobOptions): CreateJobCommandInput {
  const { request, uploadBucket, mediaBucket, roleArn, queueArn, tags } = options;
  const { plan } = request;
  if (!CLIENT_TOKEN_PATTERN.test(request.clientToken))
    throw new RangeError(
      `clientToken must be 1 to 64 printable ASCII characters (MediaConvert's limit), got ${JSON.stringify(request.clientToken)}`,
    );
  if (plan.videoId !== request.videoId)
    throw new RangeError(`the plan is for video ${plan.videoId}, the request for ${request.videoId}`);

  return {
    Role: roleArn,
    Queue: queueArn,
    ClientRequestToken: request.clientToken,
    UserMetadata: { videoId: request.videoId, uploadId: request.uploadId },
    AccelerationSettings: { Mode: AccelerationMode.DISABLED },
    BillingTagsSource: BillingTagsSource.JOB,
    // Progress events are not shown to anyone; one a minute is the service's default and plenty.
    StatusUpdateInterval: StatusUpdateInterval.SECONDS_60,
    ...(tags === undefined ? {} : { Tags: { ...tags } }),
    Settings: {
      Inputs: [
        {
          FileInput: s3Uri(uploadBucket, request.sourceKey),
          // Phone videos carry their orientation as metadata; the plan's sizes are after rotation.
          VideoSelector: { Rotate: InputRotate.AUTO },
          TimecodeSource: InputTimecodeSource.ZEROBASED,
          ...(plan.audio === undefined
            ? {}
            : { AudioSelectors: { [AUDIO_SELECTOR]: { DefaultSelection: AudioDefaultSelection.DEFAULT } } }),
        },
      ],
      OutputGroups: [hlsGroup(plan, mediaBucket), mp4Group(plan, mediaBucket), thumbnailGroup(plan, mediaBucket)],
    },
  };
}
