import type { VideoRung } from '../../lambda/core/rendition-ladder';

/**
 * The video half of the ffmpeg command: how each picture is sized and how x264 stands in for
 * MediaConvert's H.264 with QVBR, per rung.
 */

/**
 * x264's CRF for a MediaConvert QVBR quality level: CRF = 37 − 2 × level, so level 7 (the
 * ladder's default) is CRF 23, x264's own default and a fair "good" picture; level 10 is CRF 17,
 * about visually lossless; level 1 is CRF 35. Like QVBR, CRF spends bits where the picture needs
 * them, and `-maxrate` caps it at the rung's ceiling.
 */
export function crfFor(qvbrQuality: number): number {
  const level = Math.min(10, Math.max(1, Math.round(qvbrQuality)));
  return 37 - 2 * level;
}

/**
 * The VBV buffer under the ceiling: two seconds at the maximum bitrate, the usual choice for
 * streaming; it lets a short burst of motion exceed the ceiling briefly, never for a segment.
 */
export const bufsizeKbpsFor = (maxBitrateKbps: number): number => 2 * maxBitrateKbps;

/**
 * The highest frame rate a GOP is sized for. Keyframes are forced by time; x264's own keyframe
 * interval is set above any real GOP so that it never adds one of its own.
 */
const MAX_FRAME_RATE = 240;

/**
 * Resize to the plan's frame with square pixels (the plan's sizes have the display aspect ratio
 * already, as MediaConvert's STRETCH_TO_OUTPUT and PAR 1:1), in 4:2:0 so that x264 stays in the
 * High profile whatever the source's chroma.
 */
export const scaleTo = (width: number, height: number): string => `scale=${width}:${height},setsar=1,format=yuv420p`;

/**
 * H.264 as MediaConvert's adapter sets it: High profile, closed GOPs of the plan's length with
 * IDR frames forced by time (so they fall at the same times on every rung) and no scene-cut
 * keyframes (x264's would be IDR frames that break the alignment). `-preset veryfast`: one
 * laptop stands in for a service, and the twin's pictures need not be the best.
 */
export function h264(gopSeconds: number): string[] {
  return [
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-profile:v',
    'high',
    '-flags:v',
    '+cgop',
    '-g',
    String(Math.ceil(gopSeconds * MAX_FRAME_RATE)),
    '-sc_threshold',
    '0',
    '-forced-idr',
    '1',
    '-force_key_frames',
    `expr:gte(t,n_forced*${gopSeconds})`,
  ];
}

/** QVBR's stand-in for the rung at output stream `stream` (e.g. `v:0`): a CRF under a ceiling. */
export const rateControl = (rung: VideoRung, stream: string): string[] => [
  `-crf:${stream}`,
  String(crfFor(rung.qvbrQuality)),
  `-maxrate:${stream}`,
  `${rung.maxBitrateKbps}k`,
  `-bufsize:${stream}`,
  `${bufsizeKbpsFor(rung.maxBitrateKbps)}k`,
];
