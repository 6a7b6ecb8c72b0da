/**
 * What a probe of the source file found: its display size (after rotation), length and tracks.
 * In a module of its own because the record (`video.ts`), the plan (`rendition-ladder.ts`) and
 * the ports all name it, and the ports import those two.
 */
export interface SourceInfo {
  /** Display width in pixels, after any rotation the container asks for. */
  readonly width: number;
  /** Display height in pixels, after any rotation the container asks for. */
  readonly height: number;
  readonly durationSeconds: number;
  readonly hasAudio: boolean;
}
