import { posix } from 'node:path';
import { hlsPlaylistKey, hlsSegmentKey, type TranscodePlan, thumbnailKey } from '../../lambda/core/rendition-ladder';
import { keyOf, relativeKey } from './output-layout';

/** What ffmpeg wrote, checked against the plan and ready to upload: keys, order and content types. */

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
