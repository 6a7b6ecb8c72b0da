import {
  DEFAULT_LADDER,
  hlsMasterKey,
  hlsPlaylistKey,
  hlsSegmentKey,
  planTranscode,
  type TranscodePlan,
  thumbnailKey,
} from '../../lambda/core/rendition-ladder';
import {
  bufsizeKbpsFor,
  contentTypeOf,
  crfFor,
  ffmpegArgs,
  filterGraph,
  keyOf,
  matchOutputs,
  outputDirectories,
  outputLayout,
  relativeKey,
  stderrSummary,
} from '../../local/ffmpeg-args';

const HD_SOURCE = { width: 1280, height: 720, durationSeconds: 30, hasAudio: true };
const hdPlan = (): TranscodePlan => planTranscode('vid-1', HD_SOURCE);
const FILES = { input: 'source', outputDirectory: 'out', sourceHasAudio: true };

/** What ffmpeg writes for a printf pattern with `%v` and one `%0Nd`. */
const expand = (pattern: string, name: string, sequence: number) =>
  pattern
    .replace('%v', name)
    .replace(/%0(\d+)d/, (_match, width: string) => String(sequence).padStart(Number(width), '0'));

/** The value after each occurrence of `option`. */
const valuesOf = (args: readonly string[], option: string) =>
  args.flatMap((arg, index) => (arg === option ? [args[index + 1]] : []));

describe('the QVBR stand-in', () => {
  it('maps quality levels to CRF 37 − 2 × level, clamped to MediaConvert’s 1 to 10', () => {
    expect([1, 7, 8, 10].map(crfFor)).toEqual([35, 23, 21, 17]);
    expect(crfFor(0)).toBe(35);
    expect(crfFor(12)).toBe(17);
  });

  it('gives the buffer two seconds at the ceiling', () => {
    expect(bufsizeKbpsFor(3_000)).toBe(6_000);
  });
});

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

describe('the ffmpeg command for a plan', () => {
  it('decodes the source once and splits it to every rung, the MP4 and the captures', () => {
    // Prepare
    const plan = hdPlan();
    // Act
    const args = ffmpegArgs(plan, FILES);
    const graph = filterGraph(plan);
    // Assess
    expect(valuesOf(args, '-i')).toEqual(['source']);
    expect(valuesOf(args, '-filter_complex')).toEqual([graph]);
    expect(graph).toMatch(/^\[0:v\]split=5\[s0\]\[s1\]\[s2\]\[s3\]\[s4\];/);
    expect(graph).toContain('[s0]scale=1280:720,setsar=1,format=yuv420p[hls0]');
    expect(graph).toContain('[s2]scale=640:360,setsar=1,format=yuv420p[hls2]');
    expect(graph).toContain('[s3]scale=960:540,setsar=1,format=yuv420p[mp4]');
    expect(graph).toMatch(/\[s4\]select='[^']*\/10[^']*',scale=640:360,setsar=1,format=yuv420p\[thumbs\]$/);
  });

  it('maps one variant per rung, with its audio, named by the rung, into MediaConvert’s names', () => {
    const args = ffmpegArgs(hdPlan(), FILES);

    expect(valuesOf(args, '-var_stream_map')).toEqual(['v:0,a:0,name:720p v:1,a:1,name:540p v:2,a:2,name:360p']);
    expect(valuesOf(args, '-master_pl_name')).toEqual(['master.m3u8']);
    expect(valuesOf(args, '-hls_segment_filename')).toEqual(['out/hls/master_%v_%05d.ts']);
    expect(args).toContain('out/hls/master_%v.m3u8');
    expect(args).toContain('out/mp4/540p.mp4');
    expect(args).toContain('out/thumbs/thumb.%07d.jpg');
    // Segments from 1 as MediaConvert, captures from 0.
    expect(valuesOf(args, '-start_number')).toEqual(['1', '0']);
    expect(valuesOf(args, '-hls_time')).toEqual(['6']);
    expect(valuesOf(args, '-map')).toEqual([
      '[hls0]',
      '0:a:0',
      '[hls1]',
      '0:a:0',
      '[hls2]',
      '0:a:0',
      '[mp4]',
      '0:a:0',
      '[thumbs]',
    ]);
    expect(valuesOf(args, '-b:a')).toEqual(['128k', '128k']);
    expect(valuesOf(args, '-ar')).toEqual(['48000', '48000']);
    expect(valuesOf(args, '-ac')).toEqual(['2', '2']);
  });

  it('caps each rung’s CRF at its ceiling and forces aligned IDR frames without scene cuts', () => {
    const args = ffmpegArgs(hdPlan(), FILES);

    expect(valuesOf(args, '-crf:v:0')).toEqual(['23', '23']);
    expect(valuesOf(args, '-maxrate:v:0')).toEqual(['3000k', '1800k']);
    expect(valuesOf(args, '-bufsize:v:0')).toEqual(['6000k', '3600k']);
    expect(valuesOf(args, '-maxrate:v:2')).toEqual(['800k']);
    expect(valuesOf(args, '-force_key_frames')).toEqual(['expr:gte(t,n_forced*2)', 'expr:gte(t,n_forced*2)']);
    expect(valuesOf(args, '-sc_threshold')).toEqual(['0', '0']);
    expect(valuesOf(args, '-forced-idr')).toEqual(['1', '1']);
    expect(valuesOf(args, '-profile:v')).toEqual(['high', 'high']);
    expect(valuesOf(args, '-preset')).toEqual(['veryfast', 'veryfast']);
    expect(valuesOf(args, '-movflags')).toEqual(['+faststart']);
    expect(valuesOf(args, '-frames:v')).toEqual(['60']);
  });

  it('writes no audio when the plan has none, nor when the source turns out to have none', () => {
    const silentPlan = planTranscode('vid-1', { ...HD_SOURCE, hasAudio: false });

    for (const args of [ffmpegArgs(silentPlan, FILES), ffmpegArgs(hdPlan(), { ...FILES, sourceHasAudio: false })]) {
      expect(args).not.toContain('0:a:0');
      expect(args).not.toContain('-c:a');
      expect(valuesOf(args, '-var_stream_map')).toEqual(['v:0,name:720p v:1,name:540p v:2,name:360p']);
    }
  });
});

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

describe('content types and error messages', () => {
  it('types each output as MediaConvert writes it', () => {
    expect(['a.m3u8', 'a_00001.ts', 'a.mp4', 'a.0000000.jpg'].map(contentTypeOf)).toEqual([
      'application/x-mpegURL',
      'video/MP2T',
      'video/mp4',
      'image/jpeg',
    ]);
    expect(() => contentTypeOf('a.txt')).toThrow(RangeError);
  });

  it('keeps ffmpeg’s last distinct error lines, without component prefixes or noise', () => {
    const stderr = [
      '[h264 @ 0x55d0c0a1b2c0] error while decoding MB 3 4',
      '[h264 @ 0x55d0c0a1b2c0] error while decoding MB 3 4',
      '[aac @ 0x55d0c0a1c000] Input contains NaN',
      'Error while filtering: Invalid data found when processing input',
      '',
      'Conversion failed!',
      '',
    ].join('\n');

    expect(stderrSummary(stderr)).toBe(
      'error while decoding MB 3 4; Input contains NaN; Error while filtering: Invalid data found when processing input',
    );
    expect(stderrSummary('x'.repeat(1000), 3, 20)).toHaveLength(20);
    expect(stderrSummary('\nConversion failed!\n')).toBe('');
  });
});
