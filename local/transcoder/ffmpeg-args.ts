import { posix } from 'node:path';
import type { AudioPlan, TranscodePlan } from '../../lambda/core/rendition-ladder';
import { outputLayout } from './output-layout';
import { thumbnailArgs, thumbnailFilter } from './thumbnail-args';
import { h264, rateControl, scaleTo } from './video-encoding';

/**
 * The ffmpeg command that stands in for one MediaConvert job (lambda/adapters/mediaconvert-job.ts),
 * as data: no processes, no files. It reads the same plan and writes the same names, relative to
 * the video's media prefix (`v/{id}/`, see ./output-layout.ts), so the local twin's outputs land
 * under the keys the CDN paths and the catalog point at.
 */

export interface FfmpegJobFiles {
  /** The source file, relative to ffmpeg's working directory. */
  readonly input: string;
  /** Where the outputs go (laid out as under the media prefix), relative to the working directory. */
  readonly outputDirectory: string;
  /**
   * Whether the source has an audio track. The plan's audio comes from a probe that may have
   * guessed (an unreadable source is planned with audio); the source decides, as muxing a track
   * that is not there would fail the job.
   */
  readonly sourceHasAudio: boolean;
}

/** The filter graph: decode once, split, and scale for every output. */
export function filterGraph(plan: TranscodePlan): string {
  const { rungs } = plan.hls;
  const branches = rungs.map((_, index) => `[hls${index}]`).concat('[mp4]', '[thumbs]');
  return [
    `[0:v]split=${branches.length}${branches.map((_, index) => `[s${index}]`).join('')}`,
    ...rungs.map((rung, index) => `[s${index}]${scaleTo(rung.width, rung.height)}[hls${index}]`),
    `[s${rungs.length}]${scaleTo(plan.mp4.rung.width, plan.mp4.rung.height)}[mp4]`,
    `[s${rungs.length + 1}]${thumbnailFilter(plan.thumbnails)}[thumbs]`,
  ].join(';');
}

/** AAC-LC at the plan's rate, sample rate and channels, as MediaConvert's CBR AAC. */
const aac = (audio: AudioPlan): string[] => [
  '-c:a',
  'aac',
  '-profile:a',
  'aac_low',
  '-b:a',
  `${audio.bitrateKbps}k`,
  '-ar',
  String(audio.sampleRateHz),
  '-ac',
  String(audio.channels),
];

/**
 * The arguments of the one ffmpeg run that makes every output of the plan: the source decoded
 * once, then an HLS output (one variant per rung, via `-var_stream_map`, and the master), the MP4
 * and the JPEG captures. Paths are relative to ffmpeg's working directory, so its messages name
 * no temporary directory.
 */
export function ffmpegArgs(plan: TranscodePlan, files: FfmpegJobFiles): string[] {
  const layout = outputLayout(plan);
  const out = (name: string) => posix.join(files.outputDirectory, name);
  const audio = files.sourceHasAudio ? plan.audio : undefined;
  const withAudio = (videoLabel: string) => ['-map', videoLabel, ...(audio ? ['-map', '0:a:0'] : [])];
  const { rungs, segmentSeconds } = plan.hls;
  const variants = rungs.map((rung, index) => `v:${index},${audio ? `a:${index},` : ''}name:${rung.name}`);

  const hls = [
    ...rungs.flatMap((_, index) => withAudio(`[hls${index}]`)),
    ...h264(plan.gopSeconds),
    ...rungs.flatMap((rung, index) => rateControl(rung, `v:${index}`)),
    ...(audio ? aac(audio) : []),
    '-f',
    'hls',
    '-hls_time',
    String(segmentSeconds),
    '-hls_playlist_type',
    'vod',
    '-hls_flags',
    'independent_segments',
    '-hls_segment_type',
    'mpegts',
    '-start_number',
    '1',
    '-hls_segment_filename',
    out(layout.segment),
    '-master_pl_name',
    posix.basename(layout.master),
    '-var_stream_map',
    variants.join(' '),
    out(layout.variantPlaylist),
  ];
  const mp4 = [
    ...withAudio('[mp4]'),
    ...h264(plan.gopSeconds),
    ...rateControl(plan.mp4.rung, 'v:0'),
    ...(audio ? aac(audio) : []),
    '-movflags',
    '+faststart',
    out(layout.mp4),
  ];
  return [
    ...['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-y'],
    ...['-i', files.input],
    ...['-filter_complex', filterGraph(plan)],
    ...hls,
    ...mp4,
    ...thumbnailArgs(plan.thumbnails, '[thumbs]', out(layout.thumbnail)),
  ];
}
