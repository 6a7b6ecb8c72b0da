import type { TranscodePlan } from '../../lambda/core/rendition-ladder';
import { scaleTo } from './video-encoding';

/** The frame captures of the ffmpeg command, as MediaConvert's frame capture output makes them. */

/** JPEG quality for ffmpeg's mjpeg (2 best, 31 worst): 4 is about MediaConvert's quality 80. */
const THUMBNAIL_QSCALE = 4;

/**
 * One frame at the start of each interval: the first frame whose time reaches the next multiple
 * of the interval, as MediaConvert's frame capture at 1/interval fps. Times before 0 (some edit
 * lists) count as 0, so they never add a capture.
 */
function thumbnailSelect(intervalSeconds: number): string {
  const windowOf = (time: string) => `floor(max(${time},0)/${intervalSeconds})`;
  return `select='isnan(prev_selected_t)+gte(${windowOf('t')},${windowOf('prev_selected_t')}+1)'`;
}

/** The filter that picks and sizes the captures from the decoded source. */
export function thumbnailFilter(thumbnails: TranscodePlan['thumbnails']): string {
  return `${thumbnailSelect(thumbnails.intervalSeconds)},${scaleTo(thumbnails.width, thumbnails.height)}`;
}

/** The JPEG output of the filter graph's `label`, numbered from 0, at most the plan's captures. */
export const thumbnailArgs = (thumbnails: TranscodePlan['thumbnails'], label: string, path: string): string[] => [
  '-map',
  label,
  '-fps_mode',
  'vfr',
  '-frames:v',
  String(thumbnails.maxCaptures),
  '-c:v',
  'mjpeg',
  '-q:v',
  String(THUMBNAIL_QSCALE),
  '-f',
  'image2',
  '-start_number',
  '0',
  path,
];
