import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MediaInfo } from 'mediainfo.js';
import type { ObjectStore, SourceProbe } from '../core/ports';
import type { SourceInfo } from '../core/source-info';

/**
 * Reads a source's display size, length and tracks with MediaInfo (compiled to WebAssembly), the
 * tool AWS's own video-on-demand solution probes with. It reads what it needs through Range
 * requests: box or element headers and the index, not the media, for MP4 and QuickTime, Matroska
 * and WebM, AVI, MPEG program and transport streams.
 */

export interface MediaInfoProbeOptions {
  /**
   * The most bytes one probe may read. MediaInfo reads the start, jumps to the index, then would
   * go on through the media; the index of even a long video fits well within the default.
   * @default 32 MiB
   */
  readonly maxBytesRead?: number;
  /**
   * Bytes MediaInfo asks for at a time.
   * @default 256 KiB
   */
  readonly chunkBytes?: number;
}

type Track = Record<string, unknown> & { '@type'?: string };

/**
 * Where the WebAssembly file is: beside the bundle in a Lambda package (the construct copies it
 * there), else in the package's own folder, where mediainfo.js looks by default.
 */
function locateFile(file: string, prefix: string): string {
  const beside = join(__dirname, file);
  return existsSync(beside) ? beside : `${prefix}../${file}`;
}

const positive = (value: unknown): number | undefined => {
  const number = Number(value);
  return Number.isFinite(number) && number > 0 ? number : undefined;
};

/** What the probe found, turned upright: phones record portrait video as landscape pictures rotated 90°. */
export function sourceInfoOf(tracks: readonly Track[]): SourceInfo | undefined {
  const video = tracks.find((track) => track['@type'] === 'Video');
  const general = tracks.find((track) => track['@type'] === 'General');
  const width = positive(video?.Width);
  const height = positive(video?.Height);
  if (!width || !height) return undefined;
  const quarterTurn = Math.round(Number(video?.Rotation ?? 0) / 90) % 2 !== 0;
  return {
    width: Math.round(quarterTurn ? height : width),
    height: Math.round(quarterTurn ? width : height),
    durationSeconds: positive(general?.Duration) ?? positive(video?.Duration) ?? 0,
    hasAudio: tracks.some((track) => track['@type'] === 'Audio'),
  };
}

export class MediaInfoProbe implements SourceProbe {
  private readonly maxBytesRead: number;
  private readonly chunkBytes: number;
  private mediaInfo: Promise<MediaInfo<'object'>> | undefined;
  /** One analysis at a time: a MediaInfo instance holds the state of the file it reads. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Pick<ObjectStore, 'headObject' | 'readRange'>,
    options: MediaInfoProbeOptions = {},
  ) {
    this.maxBytesRead = options.maxBytesRead ?? 32 * 1024 * 1024;
    this.chunkBytes = options.chunkBytes ?? 256 * 1024;
  }

  /**
   * MediaInfo, loaded and compiled on the first probe, not at init: a batch whose messages are
   * all dropped never reads a source, and compiling the WebAssembly is most of a cold start.
   */
  private loadMediaInfo(): Promise<MediaInfo<'object'>> {
    this.mediaInfo ??= import('mediainfo.js').then(({ default: mediaInfoFactory }) =>
      mediaInfoFactory({ format: 'object', chunkSize: this.chunkBytes, locateFile }),
    );
    return this.mediaInfo;
  }

  probe(key: string): Promise<SourceInfo | undefined> {
    const probed = this.turn.then(() => this.analyze(key));
    this.turn = probed.catch(() => undefined);
    return probed;
  }

  private async analyze(key: string): Promise<SourceInfo | undefined> {
    const head = await this.store.headObject(key);
    if (!head || head.sizeBytes === 0) return undefined;
    const mediaInfo = await this.loadMediaInfo();
    let bytesRead = 0;
    const result = await mediaInfo.analyzeData(head.sizeBytes, async (size, offset) => {
      const length = Math.min(size, head.sizeBytes - offset, this.maxBytesRead - bytesRead);
      // An empty chunk ends the analysis, as at the end of the file.
      if (length <= 0) return new Uint8Array();
      bytesRead += length;
      return this.store.readRange(key, offset, offset + length - 1);
    });
    return sourceInfoOf((result.media?.track ?? []) as Track[]);
  }
}
