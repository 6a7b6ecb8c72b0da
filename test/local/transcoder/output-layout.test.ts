import {
  hlsMasterKey,
  hlsPlaylistKey,
  hlsSegmentKey,
  planTranscode,
  type TranscodePlan,
  thumbnailKey,
} from '../../../lambda/core/rendition-ladder';
import { keyOf, outputDirectories, outputLayout, relativeKey } from '../../../local/transcoder/output-layout';

const hdPlan = (): TranscodePlan =>
  planTranscode('vid-1', { width: 1280, height: 720, durationSeconds: 30, hasAudio: true });

/** What ffmpeg writes for a printf pattern with `%v` and one `%0Nd`. */
const expand = (pattern: string, name: string, sequence: number) =>
  pattern
    .replace('%v', name)
    .replace(/%0(\d+)d/, (_match, width: string) => String(sequence).padStart(Number(width), '0'));

describe('naming the outputs as the plan’s key helpers do', () => {
  it('lays out MediaConvert’s names under the media prefix', () => {
    expect(outputLayout(hdPlan())).toEqual({
      master: 'hls/master.m3u8',
      variantPlaylist: 'hls/master_%v.m3u8',
      segment: 'hls/master_%v_%05d.ts',
      mp4: 'mp4/540p.mp4',
      thumbnail: 'thumbs/thumb.%07d.jpg',
    });
    expect(outputDirectories(outputLayout(hdPlan()))).toEqual(['hls', 'mp4', 'thumbs']);
  });

  it('expands to exactly the helpers’ keys for every rung and number', () => {
    // Prepare
    const plan = hdPlan();
    const layout = outputLayout(plan);
    // Assess
    expect(keyOf('vid-1', layout.master)).toBe(hlsMasterKey('vid-1'));
    for (const rung of plan.hls.rungs) {
      expect(keyOf('vid-1', expand(layout.variantPlaylist, rung.name, 0))).toBe(hlsPlaylistKey('vid-1', rung));
      for (const sequence of [1, 9, 10, 123, 99_999])
        expect(keyOf('vid-1', expand(layout.segment, rung.name, sequence))).toBe(
          hlsSegmentKey('vid-1', rung, sequence),
        );
    }
    for (const index of [0, 1, 59])
      expect(keyOf('vid-1', expand(layout.thumbnail, '', index))).toBe(thumbnailKey('vid-1', index));
  });

  it('refuses a key outside the video’s prefix', () => {
    expect(relativeKey('vid-1', 'v/vid-1/hls/master.m3u8')).toBe('hls/master.m3u8');
    expect(() => relativeKey('vid-1', 'v/vid-2/hls/master.m3u8')).toThrow(RangeError);
  });
});
