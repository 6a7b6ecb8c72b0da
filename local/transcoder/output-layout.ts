import { posix } from 'node:path';
import {
  hlsPlaylistKey,
  hlsSegmentKey,
  type TranscodePlan,
  thumbnailKey,
  type VideoRung,
} from '../../lambda/core/rendition-ladder';
import { mediaPrefix } from '../../lambda/core/upload-plan';

/**
 * Where ffmpeg writes each output: the plan's keys, relative to the video's media prefix
 * (`v/{id}/`), so that the uploads land under the keys the CDN paths and the catalog point at.
 */

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
