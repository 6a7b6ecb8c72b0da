import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ClipOptions {
  readonly width: number;
  readonly height: number;
  /** @default 1 */
  readonly seconds?: number;
  /** @default true */
  readonly audio?: boolean;
  /** Index before the media (fast start) or after it, as cameras write it. @default false */
  readonly faststart?: boolean;
  /** Display rotation in degrees, as phones record portrait video. @default 0 */
  readonly rotate?: 0 | 90 | 180 | 270;
  /**
   * A constant video bitrate (H.264 only), padded with filler: makes a clip big enough to need
   * several upload parts. @default - whatever the encoder needs
   */
  readonly bitrateKbps?: number;
  /** What a browser records (WebM: VP8 and Opus), a Matroska file, an MPEG transport stream, or MP4. @default 'mp4' */
  readonly container?: 'mp4' | 'webm' | 'mkv' | 'ts';
}

/** A short H.264 test clip made by ffmpeg (test pattern, optional tone), as the bytes of an MP4. */
export async function makeClip(options: ClipOptions): Promise<Buffer> {
  const directory = mkdtempSync(join(tmpdir(), 'vod-clip-'));
  const container = options.container ?? 'mp4';
  const output = join(directory, `clip.${container}`);
  const seconds = String(options.seconds ?? 1);
  const args = ['-hide_banner', '-loglevel', 'error', '-y'];
  args.push('-f', 'lavfi', '-i', `testsrc2=size=${options.width}x${options.height}:rate=24:duration=${seconds}`);
  if (options.audio ?? true) args.push('-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`);
  const webm = container === 'webm';
  args.push('-c:v', webm ? 'libvpx' : 'libx264', ...(webm ? ['-deadline', 'realtime'] : ['-preset', 'ultrafast']));
  if (options.bitrateKbps !== undefined && !webm) {
    const rate = `${options.bitrateKbps}k`;
    args.push('-b:v', rate, '-minrate', rate, '-maxrate', rate, '-bufsize', rate, '-x264-params', 'nal-hrd=cbr');
  }
  args.push('-pix_fmt', 'yuv420p');
  if (options.audio ?? true) args.push('-c:a', webm ? 'libopus' : 'aac', '-shortest');
  if (options.faststart) args.push('-movflags', '+faststart');
  args.push(output);
  try {
    await run('ffmpeg', args);
    if (!options.rotate) return readFileSync(output);
    // ffmpeg 5.1 writes the display matrix from the `rotate` tag only when copying streams.
    const rotated = join(directory, 'rotated.mp4');
    await run(
      'ffmpeg',
      ['-hide_banner', '-loglevel', 'error', '-y', '-i', output, '-c', 'copy'].concat([
        '-metadata:s:v:0',
        `rotate=${options.rotate}`,
        rotated,
      ]),
    );
    return readFileSync(rotated);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/**
 * A file that is not a video, the same in every run: random bytes now and then look like a
 * tiny stream to MediaInfo or ffmpeg, which makes a test of "not a video" flaky.
 */
export const NOT_A_VIDEO = Buffer.from('These are the minutes of a meeting, not a video.\n'.repeat(1400));
