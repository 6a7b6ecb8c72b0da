import type { Rendition } from './schemas';
import type { SourceInfo } from './source-info';
import { mediaPrefix } from './upload-plan';
import type { VideoOutputs } from './video';

/**
 * The rendition ladder as data: what a source becomes. Free of any transcoder's types, so that
 * the MediaConvert job builder (AWS) and the ffmpeg transcoder (local twin) read the same plan,
 * and write the same keys, which the CDN paths and the catalog's `outputs` then point at.
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
    /** `v/{id}/mp4/{name}.mp4`, e.g. `720p.mp4` (named by the short side), with the index first (fast start). */
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

/** A standard rung before it meets a source: sized by its short side, whatever the orientation. */
export interface RungSpec {
  readonly shortSide: number;
  readonly qvbrQuality: number;
  readonly maxBitrateKbps: number;
}

/** The ladder every source is cut against. */
export interface LadderSpec {
  /** Highest first, short sides strictly decreasing and even. */
  readonly rungs: readonly RungSpec[];
  /** Closed GOPs, the same length on every rung so that players switch rungs at any segment. */
  readonly gopSeconds: number;
  /** A whole number of GOPs, so that every segment starts on an IDR frame. */
  readonly segmentSeconds: number;
  /**
   * The longest side the H.264 encoder accepts (MediaConvert: 4096×2160 or 2160×4096). A rung
   * that would be longer is left out, so a very wide source loses its top rungs rather than
   * failing the whole job.
   */
  readonly maxLongSide: number;
  readonly audio: AudioPlan;
  /** The progressive download: one file, at most `maxShortSide`, the index first (fast start). */
  readonly mp4: { readonly maxShortSide: number; readonly qvbrQuality: number; readonly maxBitrateKbps: number };
  /** JPEG captures every `intervalSeconds`, at most `maxCaptures`, `shortSide` or the source's if smaller. */
  readonly thumbnails: { readonly shortSide: number; readonly intervalSeconds: number; readonly maxCaptures: number };
}

/**
 * The default ladder, sized for cost (docs/cost.md): MediaConvert bills every output minute at
 * its resolution's rate, HD twice SD and UHD twice HD, so the ladder tops out at 1080p and the
 * MP4 is 540p (SD), which halves its price against 720p. QVBR lets simple pictures (talks,
 * screen recordings) take far less than the ceiling while motion gets up to it; the ceilings
 * follow the usual H.264 ladders for 16:9.
 */
export const DEFAULT_LADDER: LadderSpec = Object.freeze({
  rungs: Object.freeze([
    Object.freeze({ shortSide: 1080, qvbrQuality: 7, maxBitrateKbps: 5_000 }),
    Object.freeze({ shortSide: 720, qvbrQuality: 7, maxBitrateKbps: 3_000 }),
    Object.freeze({ shortSide: 540, qvbrQuality: 7, maxBitrateKbps: 1_800 }),
    Object.freeze({ shortSide: 360, qvbrQuality: 7, maxBitrateKbps: 800 }),
  ]),
  gopSeconds: 2,
  segmentSeconds: 6,
  maxLongSide: 4096,
  audio: Object.freeze({ bitrateKbps: 128, sampleRateHz: 48_000, channels: 2 }),
  mp4: Object.freeze({ maxShortSide: 540, qvbrQuality: 7, maxBitrateKbps: 1_800 }),
  thumbnails: Object.freeze({ shortSide: 360, intervalSeconds: 10, maxCaptures: 60 }),
});

/** The 4K rung: MediaConvert bills it at the UHD rate, twice HD, so it is opt-in. */
export const UHD_RUNG: RungSpec = Object.freeze({ shortSide: 2160, qvbrQuality: 8, maxBitrateKbps: 12_000 });

/** The default ladder topped by a 4K rung, for sources that have it. */
export const UHD_LADDER: LadderSpec = Object.freeze({
  ...DEFAULT_LADDER,
  rungs: Object.freeze([UHD_RUNG, ...DEFAULT_LADDER.rungs]),
});

// Keys. MediaConvert names its files after a destination "base" (a key without extension): the
// HLS master is `{base}.m3u8`, each rendition `{base}{nameModifier}.m3u8` with segments
// `{base}{nameModifier}_00001.ts`, a file output `{base}.mp4`, frame captures `{base}.0000000.jpg`.
// The ffmpeg transcoder writes the same names, so the CDN paths do not depend on the world.

/** The HLS destination base, `v/{id}/hls/master`: the master playlist is this plus `.m3u8`. */
export const hlsBase = (videoId: string): string => `${mediaPrefix(videoId)}hls/master`;
/** The master playlist, `v/{id}/hls/master.m3u8`. */
export const hlsMasterKey = (videoId: string): string => `${hlsBase(videoId)}.m3u8`;
/** What tells one rendition's files from another's: `_720p`. */
export const hlsNameModifier = (rung: VideoRung): string => `_${rung.name}`;
/** A rendition's playlist, e.g. `v/{id}/hls/master_720p.m3u8`. */
export const hlsPlaylistKey = (videoId: string, rung: VideoRung): string =>
  `${hlsBase(videoId)}${hlsNameModifier(rung)}.m3u8`;
/** A rendition's segment, numbered from 1: e.g. `v/{id}/hls/master_720p_00001.ts`. */
export const hlsSegmentKey = (videoId: string, rung: VideoRung, sequence: number): string =>
  `${hlsBase(videoId)}${hlsNameModifier(rung)}_${String(sequence).padStart(5, '0')}.ts`;
/** The MP4 destination base, `v/{id}/mp4/{name}`. */
export const mp4Base = (videoId: string, rung: VideoRung): string => `${mediaPrefix(videoId)}mp4/${rung.name}`;
/** The progressive download, e.g. `v/{id}/mp4/720p.mp4`. */
export const mp4Key = (videoId: string, rung: VideoRung): string => `${mp4Base(videoId, rung)}.mp4`;
/** Where the thumbnails go, `v/{id}/thumbs/`. */
export const thumbnailPrefix = (videoId: string): string => `${mediaPrefix(videoId)}thumbs/`;
/** The frame-capture destination base, `v/{id}/thumbs/thumb`. */
export const thumbnailBase = (videoId: string): string => `${thumbnailPrefix(videoId)}thumb`;
/** Capture `index` (from 0, one every `intervalSeconds`): e.g. `v/{id}/thumbs/thumb.0000001.jpg`. */
export const thumbnailKey = (videoId: string, index: number): string =>
  `${thumbnailBase(videoId)}.${String(index).padStart(7, '0')}.jpg`;

/** H.264 with 4:2:0 chroma needs even dimensions; every output here has them. */
const floorEven = (value: number): number => Math.max(2, 2 * Math.floor(value / 2));

/**
 * The frame for a short side, in the source's orientation and aspect ratio. The long side is the
 * even number nearest to the exact one, but never more than the source (or the encoder) allows.
 */
function frameFor(shortSide: number, source: SourceInfo, maxLongSide: number): { width: number; height: number } {
  const landscape = source.width >= source.height;
  const [sourceShort, sourceLong] = landscape ? [source.height, source.width] : [source.width, source.height];
  const exact = (shortSide * sourceLong) / sourceShort;
  const longSide = Math.max(2, Math.min(2 * Math.round(exact / 2), floorEven(Math.min(sourceLong, maxLongSide))));
  return landscape ? { width: longSide, height: shortSide } : { width: shortSide, height: longSide };
}

function checkSide(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 2)
    throw new RangeError(`source ${name} must be a finite number of at least 2 pixels, got ${value}`);
}

/**
 * What a source becomes: every standard rung the source can fill (never upscaled: upscaling costs
 * encoding minutes and bandwidth and adds no detail), or, for a source smaller than the smallest
 * rung, one rung at its own size. Rung sizes are short sides, so a portrait phone video gets the
 * same ladder as its landscape twin, turned.
 */
export function planTranscode(videoId: string, source: SourceInfo, ladder: LadderSpec = DEFAULT_LADDER): TranscodePlan {
  checkSide('width', source.width);
  checkSide('height', source.height);
  const sourceShort = Math.min(source.width, source.height);
  const sourceLong = Math.max(source.width, source.height);
  // The largest short side whose frame still fits the encoder's longest side.
  const usableShort = Math.min(sourceShort, (ladder.maxLongSide * sourceShort) / sourceLong);

  const rung = (shortSide: number, spec: RungSpec): VideoRung => ({
    name: `${shortSide}p`,
    ...frameFor(shortSide, source, ladder.maxLongSide),
    qvbrQuality: spec.qvbrQuality,
    maxBitrateKbps: spec.maxBitrateKbps,
  });
  const standard = ladder.rungs
    .filter((spec) => spec.shortSide <= usableShort)
    .map((spec) => rung(spec.shortSide, spec));
  const smallest = ladder.rungs[ladder.rungs.length - 1];
  if (smallest === undefined) throw new RangeError('the ladder has no rungs');
  const rungs = standard.length > 0 ? standard : [rung(floorEven(usableShort), smallest)];

  const mp4Source = rungs.find((candidate) => Math.min(candidate.width, candidate.height) <= ladder.mp4.maxShortSide);
  // The rungs end at the smallest, so one always fits; the fallback only satisfies the compiler.
  const mp4From = mp4Source ?? (rungs[rungs.length - 1] as VideoRung);
  const mp4Rung: VideoRung = {
    ...mp4From,
    qvbrQuality: Math.min(mp4From.qvbrQuality, ladder.mp4.qvbrQuality),
    maxBitrateKbps: Math.min(mp4From.maxBitrateKbps, ladder.mp4.maxBitrateKbps),
  };

  const thumbnailFrame = frameFor(
    Math.min(ladder.thumbnails.shortSide, floorEven(usableShort)),
    source,
    ladder.maxLongSide,
  );

  return {
    videoId,
    source,
    gopSeconds: ladder.gopSeconds,
    hls: { segmentSeconds: ladder.segmentSeconds, rungs, masterKey: hlsMasterKey(videoId) },
    mp4: { rung: mp4Rung, key: mp4Key(videoId, mp4Rung) },
    thumbnails: {
      ...thumbnailFrame,
      intervalSeconds: ladder.thumbnails.intervalSeconds,
      maxCaptures: ladder.thumbnails.maxCaptures,
      keyPrefix: thumbnailPrefix(videoId),
    },
    ...(source.hasAudio ? { audio: { ...ladder.audio } } : {}),
  };
}

/** What the catalog and the API show of the ladder: the HLS renditions, highest first. */
export function renditionsOf(plan: TranscodePlan): Rendition[] {
  return [...plan.hls.rungs]
    .sort((a, b) => b.width * b.height - a.width * a.height)
    .map((rung) => ({ width: rung.width, height: rung.height, bitrateKbps: rung.maxBitrateKbps }));
}

/**
 * The keys the catalog records once the job is done. The poster is the capture at one interval
 * in (10 s) rather than the first, whose frames are often black or a fade-in; a video no longer
 * than one interval has only the first.
 */
export function outputsOf(plan: TranscodePlan, durationSeconds: number): VideoOutputs {
  const posterIndex = durationSeconds > plan.thumbnails.intervalSeconds && plan.thumbnails.maxCaptures > 1 ? 1 : 0;
  return {
    hls: plan.hls.masterKey,
    mp4: plan.mp4.key,
    thumbnail: thumbnailKey(plan.videoId, posterIndex),
  };
}
