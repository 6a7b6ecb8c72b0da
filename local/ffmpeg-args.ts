import { posix } from 'node:path';
import {
  type AudioPlan,
  hlsPlaylistKey,
  hlsSegmentKey,
  type TranscodePlan,
  thumbnailKey,
  type VideoRung,
} from '../lambda/core/rendition-ladder';
import { mediaPrefix } from '../lambda/core/upload-plan';

/**
 * The ffmpeg command that stands in for one MediaConvert job (lambda/adapters/mediaconvert-job.ts),
 * as data: no processes, no files. It reads the same plan and writes the same names, relative to
 * the video's media prefix (`v/{id}/`), so the local twin's outputs land under the keys the CDN
 * paths and the catalog point at.
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

/** JPEG quality for ffmpeg's mjpeg (2 best, 31 worst): 4 is about MediaConvert's quality 80. */
const THUMBNAIL_QSCALE = 4;

/**
 * The highest frame rate a GOP is sized for. Keyframes are forced by time; x264's own keyframe
 * interval is set above any real GOP so that it never adds one of its own.
 */
const MAX_FRAME_RATE = 240;

/** Where each output goes, relative to the video's media prefix; numbered names as printf patterns. */
export interface OutputLayout {
  /** `hls/master.m3u8` */
  readonly master: string;
  /** `hls/master_%v.m3u8`: ffmpeg puts each rung's name (its `var_stream_map` name) for `%v`. */
  readonly variantPlaylist: string;
  /** `hls/master_%v_%05d.ts`, numbered from 1 as MediaConvert does. */
  readonly segment: string;
  /** `mp4/540p.mp4` */
  readonly mp4: string;
  /** `thumbs/thumb.%07d.jpg`, numbered from 0. */
  readonly thumbnail: string;
}

/** A key under the video's media prefix, without the prefix. */
export function relativeKey(videoId: string, key: string): string {
  const prefix = mediaPrefix(videoId);
  if (!key.startsWith(prefix)) throw new RangeError(`the key ${key} is not under ${prefix}`);
  return key.slice(prefix.length);
}

/** The media-bucket key of an output file, from its path relative to the media prefix. */
export const keyOf = (videoId: string, relativePath: string): string => `${mediaPrefix(videoId)}${relativePath}`;

/**
 * The printf pattern behind a numbered name: the key helper's name for number 1, with that
 * number (and its zero padding) replaced by `%0Nd`, so the pattern follows the helper if it changes.
 */
function numberedPattern(nameOfOne: string): string {
  const match = /(0*)1(\D*)$/.exec(nameOfOne);
  if (!match) throw new Error(`the name ${nameOfOne} carries no number ffmpeg can write`);
  const digits = match[0].length - (match[2] ?? '').length;
  return `${nameOfOne.slice(0, match.index)}%0${digits}d${match[2] ?? ''}`;
}

/**
 * The plan's names as ffmpeg patterns. ffmpeg's HLS muxer writes the master beside the variant
 * playlists and refers to each by a name relative to it, and segments must sit beside their
 * playlist to be named relatively too: a layout where the key helpers break either is refused.
 */
export function outputLayout(plan: TranscodePlan): OutputLayout {
  const { videoId } = plan;
  const [first] = plan.hls.rungs;
  if (first === undefined) throw new RangeError('the plan has no HLS rungs');
  const placeholder: VideoRung = { ...first, name: '%v' };
  const layout: OutputLayout = {
    master: relativeKey(videoId, plan.hls.masterKey),
    variantPlaylist: relativeKey(videoId, hlsPlaylistKey(videoId, placeholder)),
    segment: numberedPattern(relativeKey(videoId, hlsSegmentKey(videoId, placeholder, 1))),
    mp4: relativeKey(videoId, plan.mp4.key),
    thumbnail: numberedPattern(relativeKey(videoId, thumbnailKey(videoId, 1))),
  };
  const hlsDirectory = posix.dirname(layout.master);
  for (const name of [layout.variantPlaylist, layout.segment])
    if (posix.dirname(name) !== hlsDirectory)
      throw new Error(`ffmpeg writes HLS files in one directory; ${name} is not in ${hlsDirectory}`);
  if (!posix.basename(layout.variantPlaylist).includes('%v'))
    throw new Error(`the variant playlist name ${layout.variantPlaylist} does not carry the rung's name`);
  for (const rung of plan.hls.rungs)
    if (!/^[A-Za-z0-9_.-]+$/.test(rung.name))
      throw new Error(`the rung name ${JSON.stringify(rung.name)} cannot be a var_stream_map name`);
  return layout;
}

/** The directories ffmpeg writes into; its image and MP4 muxers do not create them. */
export const outputDirectories = (layout: OutputLayout): string[] => [
  ...new Set([layout.master, layout.variantPlaylist, layout.segment, layout.mp4, layout.thumbnail].map(posix.dirname)),
];

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

/**
 * Resize to the plan's frame with square pixels (the plan's sizes have the display aspect ratio
 * already, as MediaConvert's STRETCH_TO_OUTPUT and PAR 1:1), in 4:2:0 so that x264 stays in the
 * High profile whatever the source's chroma.
 */
const scaleTo = (width: number, height: number): string => `scale=${width}:${height},setsar=1,format=yuv420p`;

/**
 * One frame at the start of each interval: the first frame whose time reaches the next multiple
 * of the interval, as MediaConvert's frame capture at 1/interval fps. Times before 0 (some edit
 * lists) count as 0, so they never add a capture.
 */
function thumbnailSelect(intervalSeconds: number): string {
  const windowOf = (time: string) => `floor(max(${time},0)/${intervalSeconds})`;
  return `select='isnan(prev_selected_t)+gte(${windowOf('t')},${windowOf('prev_selected_t')}+1)'`;
}

/** The filter graph: decode once, split, and scale for every output. */
export function filterGraph(plan: TranscodePlan): string {
  const { rungs } = plan.hls;
  const branches = rungs.map((_, index) => `[hls${index}]`).concat('[mp4]', '[thumbs]');
  const { width, height, intervalSeconds } = plan.thumbnails;
  return [
    `[0:v]split=${branches.length}${branches.map((_, index) => `[s${index}]`).join('')}`,
    ...rungs.map((rung, index) => `[s${index}]${scaleTo(rung.width, rung.height)}[hls${index}]`),
    `[s${rungs.length}]${scaleTo(plan.mp4.rung.width, plan.mp4.rung.height)}[mp4]`,
    `[s${rungs.length + 1}]${thumbnailSelect(intervalSeconds)},${scaleTo(width, height)}[thumbs]`,
  ].join(';');
}

/**
 * H.264 as MediaConvert's adapter sets it: High profile, closed GOPs of the plan's length with
 * IDR frames forced by time (so they fall at the same times on every rung) and no scene-cut
 * keyframes (x264's would be IDR frames that break the alignment). `-preset veryfast`: one
 * laptop stands in for a service, and the twin's pictures need not be the best.
 */
function h264(gopSeconds: number): string[] {
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
const rateControl = (rung: VideoRung, stream: string): string[] => [
  `-crf:${stream}`,
  String(crfFor(rung.qvbrQuality)),
  `-maxrate:${stream}`,
  `${rung.maxBitrateKbps}k`,
  `-bufsize:${stream}`,
  `${bufsizeKbpsFor(rung.maxBitrateKbps)}k`,
];

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
  const thumbnails = [
    '-map',
    '[thumbs]',
    '-fps_mode',
    'vfr',
    '-frames:v',
    String(plan.thumbnails.maxCaptures),
    '-c:v',
    'mjpeg',
    '-q:v',
    String(THUMBNAIL_QSCALE),
    '-f',
    'image2',
    '-start_number',
    '0',
    out(layout.thumbnail),
  ];
  return [
    ...['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-y'],
    ...['-i', files.input],
    ...['-filter_complex', filterGraph(plan)],
    ...hls,
    ...mp4,
    ...thumbnails,
  ];
}

/** Content types as MediaConvert writes them to S3. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.m3u8': 'application/x-mpegURL',
  '.ts': 'video/MP2T',
  '.mp4': 'video/mp4',
  '.jpg': 'image/jpeg',
};

export function contentTypeOf(name: string): string {
  const type = CONTENT_TYPES[posix.extname(name)];
  if (type === undefined) throw new RangeError(`no content type for ${name}`);
  return type;
}

/** One output file and the key it is uploaded to. */
export interface OutputFile {
  /** Relative to the output directory. */
  readonly file: string;
  readonly key: string;
}

/** The files one job wrote, matched to the plan's keys. */
export interface MatchedOutputs {
  /**
   * Upload stages, each finished before the next starts: the segments, the MP4 and the captures,
   * then the variant playlists, then the master, so that a reader never finds a playlist whose
   * media are missing.
   */
  readonly stages: readonly (readonly OutputFile[])[];
  /** How many segments each rung has, by rung name. */
  readonly segmentCounts: Readonly<Record<string, number>>;
  /** The captures, in order. */
  readonly thumbnails: readonly OutputFile[];
}

/**
 * Checks the files ffmpeg wrote (paths relative to the output directory) against the plan's key
 * helpers: every playlist and the MP4, each rung's segments numbered 1..n, captures 0..n-1 within
 * the plan's maximum, and nothing else. A mismatch means the helpers and ffmpeg's naming drifted
 * apart, and the job fails rather than write keys nobody points at.
 */
export function matchOutputs(plan: TranscodePlan, files: readonly string[]): MatchedOutputs {
  const { videoId } = plan;
  const remaining = new Set(files);
  const problems: string[] = [];
  const take = (key: string): string | undefined => {
    const file = relativeKey(videoId, key);
    return remaining.delete(file) ? file : undefined;
  };
  const takeNumbered = (keyFor: (index: number) => string, first: number): string[] => {
    const found: string[] = [];
    for (let index = first; ; index++) {
      const file = take(keyFor(index));
      if (file === undefined) return found;
      found.push(file);
    }
  };
  const required = (key: string): string[] => {
    const file = take(key);
    if (file === undefined) problems.push(`${relativeKey(videoId, key)} is missing`);
    return file === undefined ? [] : [file];
  };

  const media: string[] = [];
  const playlists: string[] = [];
  const segmentCounts: Record<string, number> = {};
  for (const rung of plan.hls.rungs) {
    playlists.push(...required(hlsPlaylistKey(videoId, rung)));
    const segments = takeNumbered((sequence) => hlsSegmentKey(videoId, rung, sequence), 1);
    if (segments.length === 0) problems.push(`rung ${rung.name} has no segments`);
    segmentCounts[rung.name] = segments.length;
    media.push(...segments);
  }
  media.push(...required(plan.mp4.key));
  const thumbnails = takeNumbered((index) => thumbnailKey(videoId, index), 0);
  if (thumbnails.length === 0) problems.push('no thumbnail was captured');
  if (thumbnails.length > plan.thumbnails.maxCaptures)
    problems.push(`${thumbnails.length} thumbnails, more than ${plan.thumbnails.maxCaptures}`);
  media.push(...thumbnails);
  const master = required(plan.hls.masterKey);
  for (const file of remaining) problems.push(`${file} is not one of the plan's keys`);
  if (problems.length > 0) throw new Error(`the outputs do not match the plan: ${problems.join('; ')}`);

  const withKeys = (names: readonly string[]): OutputFile[] =>
    names.map((file) => ({ file, key: keyOf(videoId, file) }));
  return {
    stages: [withKeys(media), withKeys(playlists), withKeys(master)],
    segmentCounts,
    thumbnails: withKeys(thumbnails),
  };
}

/** Lines that say nothing about what went wrong. */
const NOISE = /^(Conversion failed!?|Exiting normally.*|Press \[q\].*)$/;

/**
 * What ffmpeg said went wrong, for a person: its last few distinct error lines (`-loglevel
 * error` keeps out the rest), each with the `[component @ 0x…]` prefix dropped, short.
 */
export function stderrSummary(stderr: string, maxLines = 3, maxLength = 400): string {
  const lines: string[] = [];
  for (const raw of stderr.split(/\r?\n/)) {
    const line = raw.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/, '').trim();
    if (line === '' || NOISE.test(line) || lines[lines.length - 1] === line) continue;
    lines.push(line);
  }
  const summary = lines.slice(-maxLines).join('; ');
  return summary.length > maxLength ? `${summary.slice(0, maxLength - 1)}…` : summary;
}
