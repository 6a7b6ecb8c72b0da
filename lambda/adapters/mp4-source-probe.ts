import { createFile, type Movie, MP4BoxBuffer, type Track } from 'mp4box';
import type { ObjectStore, SourceInfo, SourceProbe } from '../core/ports';

/**
 * Reads an MP4 or QuickTime source's display size, length and tracks from its `moov` box,
 * fetched with a few Range reads: the top-level box headers (16 bytes each), then the `moov`
 * box alone, wherever it sits (uploads from phones and cameras usually put it at the end).
 * The media data is never downloaded; mp4box (GPAC's parser) reads the box.
 */

const BOX_HEADER_BYTES = 16;
/** Files have a handful of top-level boxes; more means this is not an ISO-BMFF file. */
const MAX_TOP_LEVEL_BOXES = 64;
const TOP_LEVEL_TYPES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'uuid', 'pnot', 'meta', 'pdin']);

export interface Mp4SourceProbeOptions {
  /**
   * The largest `moov` box read (its sample tables grow with the length: about 1 MB per hour).
   * @default 64 MiB
   */
  readonly maxMoovBytes?: number;
}

/** Display rotation of a track: the `tkhd` matrix turns the picture by 90° when a = d = 0. */
function isQuarterTurn(track: Track): boolean {
  const [a, b, , c, d] = Array.from(track.matrix ?? []);
  return a === 0 && d === 0 && b !== 0 && c !== 0;
}

function sourceInfo(movie: Movie): SourceInfo | undefined {
  const video = movie.videoTracks[0];
  const width = video?.video?.width || video?.track_width;
  const height = video?.video?.height || video?.track_height;
  if (!video || !width || !height) return undefined;
  const turned = isQuarterTurn(video);
  const seconds = movie.timescale > 0 ? movie.duration / movie.timescale : 0;
  const trackSeconds = video.timescale > 0 ? video.duration / video.timescale : 0;
  return {
    width: Math.round(turned ? height : width),
    height: Math.round(turned ? width : height),
    durationSeconds: Math.max(seconds, trackSeconds),
    hasAudio: movie.audioTracks.length > 0,
  };
}

/** mp4box wants a file type box first; QuickTime files from before ISO-BMFF have none. */
const QUICKTIME_FTYP = new Uint8Array([0, 0, 0, 20, ...Buffer.from('ftypqt  '), 0, 0, 0, 0, ...Buffer.from('qt  ')]);

/** Parses the index alone, behind the file type box: offsets into the media do not matter here. */
function parseMoov(ftyp: Uint8Array, moov: Uint8Array): Movie | undefined {
  const bytes = new Uint8Array(ftyp.byteLength + moov.byteLength);
  bytes.set(ftyp);
  bytes.set(moov, ftyp.byteLength);
  const file = createFile();
  let movie: Movie | undefined;
  file.onReady = (info) => {
    movie = info;
  };
  file.onError = () => undefined;
  const buffer = MP4BoxBuffer.fromArrayBuffer(bytes.buffer, 0);
  try {
    file.appendBuffer(buffer);
    file.flush();
  } catch {
    return undefined;
  }
  return movie;
}

export class Mp4SourceProbe implements SourceProbe {
  private readonly maxMoovBytes: number;

  constructor(
    private readonly store: Pick<ObjectStore, 'headObject' | 'readRange'>,
    options: Mp4SourceProbeOptions = {},
  ) {
    this.maxMoovBytes = options.maxMoovBytes ?? 64 * 1024 * 1024;
  }

  async probe(key: string): Promise<SourceInfo | undefined> {
    const head = await this.store.headObject(key);
    if (!head) return undefined;
    let offset = 0;
    let ftyp: Uint8Array = QUICKTIME_FTYP;
    for (let boxes = 0; boxes < MAX_TOP_LEVEL_BOXES && offset + 8 <= head.sizeBytes; boxes++) {
      const header = await this.store.readRange(key, offset, Math.min(offset + BOX_HEADER_BYTES, head.sizeBytes) - 1);
      if (header.byteLength < 8) return undefined;
      const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
      const type = String.fromCharCode(...header.subarray(4, 8));
      if (!TOP_LEVEL_TYPES.has(type)) return undefined;
      let size = view.getUint32(0);
      if (size === 1) {
        if (header.byteLength < 16) return undefined;
        size = Number(view.getBigUint64(8));
      } else if (size === 0) {
        size = head.sizeBytes - offset;
      }
      if (size < 8 || offset + size > head.sizeBytes) return undefined;
      if (type === 'ftyp' && size <= 1024) ftyp = await this.store.readRange(key, offset, offset + size - 1);
      if (type === 'moov') {
        if (size > this.maxMoovBytes) return undefined;
        const movie = parseMoov(ftyp, await this.store.readRange(key, offset, offset + size - 1));
        return movie ? sourceInfo(movie) : undefined;
      }
      offset += size;
    }
    return undefined;
  }
}
