import { DEFAULT_LADDER, planTranscode } from '../../../lambda/core/rendition-ladder';
import { contentTypeOf, matchOutputs } from '../../../local/transcoder/output-files';

describe('matching what ffmpeg wrote to the plan’s keys', () => {
  const plan = planTranscode('vid-1', { width: 640, height: 360, durationSeconds: 8, hasAudio: false });
  const written = [
    'hls/master.m3u8',
    'hls/master_360p.m3u8',
    'hls/master_360p_00001.ts',
    'hls/master_360p_00002.ts',
    'mp4/360p.mp4',
    'thumbs/thumb.0000000.jpg',
  ];

  it('uploads the media first, then the variant playlists, the master last', () => {
    const matched = matchOutputs(plan, [...written].reverse());

    expect(matched.stages.map((stage) => stage.map((output) => output.key))).toEqual([
      [
        'v/vid-1/hls/master_360p_00001.ts',
        'v/vid-1/hls/master_360p_00002.ts',
        'v/vid-1/mp4/360p.mp4',
        'v/vid-1/thumbs/thumb.0000000.jpg',
      ],
      ['v/vid-1/hls/master_360p.m3u8'],
      ['v/vid-1/hls/master.m3u8'],
    ]);
    expect(matched.segmentCounts).toEqual({ '360p': 2 });
    expect(matched.thumbnails.map((output) => output.file)).toEqual(['thumbs/thumb.0000000.jpg']);
  });

  it('refuses files the plan does not name, and missing ones', () => {
    expect(() => matchOutputs(plan, [...written, 'hls/master_360p_00004.ts'])).toThrow(
      /hls\/master_360p_00004.ts is not one of the plan's keys/,
    );
    expect(() => matchOutputs(plan, written.slice(1))).toThrow(/hls\/master.m3u8 is missing/);
    expect(() =>
      matchOutputs(
        plan,
        written.filter((file) => !file.endsWith('.ts')),
      ),
    ).toThrow(/rung 360p has no segments/);
  });

  it('refuses more captures than the plan allows', () => {
    const captures = Array.from(
      { length: DEFAULT_LADDER.thumbnails.maxCaptures + 1 },
      (_, index) => `thumbs/thumb.${String(index).padStart(7, '0')}.jpg`,
    );
    expect(() => matchOutputs(plan, [...written, ...captures.slice(1)])).toThrow(/61 thumbnails, more than 60/);
  });
});

describe('content types', () => {
  it('types each output as MediaConvert writes it', () => {
    expect(['a.m3u8', 'a_00001.ts', 'a.mp4', 'a.0000000.jpg'].map(contentTypeOf)).toEqual([
      'application/x-mpegURL',
      'video/MP2T',
      'video/mp4',
      'image/jpeg',
    ]);
    expect(() => contentTypeOf('a.txt')).toThrow(RangeError);
  });
});
