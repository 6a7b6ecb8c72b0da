import { planTranscode, type TranscodePlan } from '../../../lambda/core/rendition-ladder';
import { ffmpegArgs, filterGraph } from '../../../local/transcoder/ffmpeg-args';

const HD_SOURCE = { width: 1280, height: 720, durationSeconds: 30, hasAudio: true };
const hdPlan = (): TranscodePlan => planTranscode('vid-1', HD_SOURCE);
const FILES = { input: 'source', outputDirectory: 'out', sourceHasAudio: true };

/** The value after each occurrence of `option`. */
const valuesOf = (args: readonly string[], option: string) =>
  args.flatMap((arg, index) => (arg === option ? [args[index + 1]] : []));

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
