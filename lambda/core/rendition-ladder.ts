import type { SourceInfo } from './ports';
import type { Rendition } from './schemas';
import type { VideoOutputs } from './video';

/**
 * The rendition ladder as data: what a source becomes. Free of any transcoder's types, so that
 * the MediaConvert job builder (AWS) and the ffmpeg transcoder (local twin) read the same plan.
 */

/** One video encoding: a rung of the HLS ladder, or the progressive MP4. */
export interface VideoRung {
  /** The short side with a `p`, e.g. `720p`; names the rung's files. */
  readonly name: string;
  /** Output width in pixels (even). */
  readonly width: number;
  /** Output height in pixels (even). */
  readonly height: number;
  /** H.264 QVBR quality level, 1 (lowest) to 10. */
  readonly qvbrQuality: number;
  /** The QVBR ceiling, in kbit/s. */
  readonly maxBitrateKbps: number;
}

/** AAC-LC audio, muxed into every video output. */
export interface AudioPlan {
  readonly bitrateKbps: number;
  readonly sampleRateHz: number;
  readonly channels: number;
}

/** Everything one job produces for one video, with the media-bucket keys it writes. */
export interface TranscodePlan {
  readonly videoId: string;
  readonly source: SourceInfo;
  /** Closed GOPs of this length, aligned across every rung. */
  readonly gopSeconds: number;
  readonly hls: {
    /** Target segment length; a whole number of GOPs. */
    readonly segmentSeconds: number;
    /** Highest first. */
    readonly rungs: readonly VideoRung[];
    /** The master playlist, `v/{id}/hls/master.m3u8`. */
    readonly masterKey: string;
  };
  readonly mp4: {
    readonly rung: VideoRung;
    /** `v/{id}/mp4/{height}p.mp4`, with the index first (fast start). */
    readonly key: string;
  };
  readonly thumbnails: {
    readonly width: number;
    readonly height: number;
    readonly intervalSeconds: number;
    readonly maxCaptures: number;
    /** `v/{id}/thumbs/`. */
    readonly keyPrefix: string;
  };
  /** Absent when the source has no audio track. */
  readonly audio?: AudioPlan;
}

// Implementation below: planTranscode(videoId, source), renditionsOf(plan), outputsOf(plan, durationSeconds).
export declare function planTranscode(videoId: string, source: SourceInfo): TranscodePlan;
export declare function renditionsOf(plan: TranscodePlan): Rendition[];
export declare function outputsOf(plan: TranscodePlan, durationSeconds: number): VideoOutputs;
