import { stderrSummary } from './ffmpeg-stderr';
import type { GuardedProcesses } from './process-group';

/** What ffprobe tells of a media file. */
export interface MediaInfo {
  readonly durationInMs?: number;
  readonly width: number;
  readonly height: number;
  readonly hasVideo: boolean;
  readonly hasAudio: boolean;
}

/** Duration, first video size and tracks of a media file, from ffprobe; ffprobe's error when it cannot read it. */
export async function probeMedia(
  processes: GuardedProcesses,
  path: string,
  cwd: string,
): Promise<MediaInfo | { readonly error: string }> {
  const result = await processes.run(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,width,height', '-of', 'json', path],
    cwd,
  );
  if (result.signal) throw new Error(`ffprobe was killed by ${result.signal}`);
  if (result.code !== 0) return { error: stderrSummary(result.stderr) };
  const parsed = JSON.parse(result.stdout) as {
    format?: { duration?: string };
    streams?: { codec_type?: string; width?: number; height?: number }[];
  };
  const streams = parsed.streams ?? [];
  const video = streams.find((stream) => stream.codec_type === 'video');
  const seconds = Number(parsed.format?.duration);
  return {
    ...(Number.isFinite(seconds) && seconds > 0 ? { durationInMs: Math.round(seconds * 1000) } : {}),
    width: video?.width ?? 0,
    height: video?.height ?? 0,
    hasVideo: video !== undefined,
    hasAudio: streams.some((stream) => stream.codec_type === 'audio'),
  };
}
