import fc from 'fast-check';
import {
  DEFAULT_LADDER,
  hlsMasterKey,
  hlsPlaylistKey,
  hlsSegmentKey,
  mp4Key,
  outputsOf,
  planTranscode,
  renditionsOf,
  thumbnailKey,
  UHD_LADDER,
  UHD_RUNG,
  type VideoRung,
} from '../../lambda/core/rendition-ladder';
import type { SourceInfo } from '../../lambda/core/source-info';

const source = (width: number, height: number, overrides: Partial<SourceInfo> = {}): SourceInfo => ({
  width,
  height,
  durationSeconds: 120,
  hasAudio: true,
  ...overrides,
});

/** A rung as `name width×height quality/ceiling`, so a whole ladder reads as one list. */
const describeRung = (rung: VideoRung): string =>
  `${rung.name} ${rung.width}x${rung.height} q${rung.qvbrQuality}/${rung.maxBitrateKbps}`;

describe('the rendition ladder', () => {
  it('caps a 2160p 16:9 source at 1080p by default (no UHD output), with the MP4 at 540p', () => {
    const plan = planTranscode('v4k', source(3840, 2160));

    expect(plan.hls.rungs.map(describeRung)).toEqual([
      '1080p 1920x1080 q7/5000',
      '720p 1280x720 q7/3000',
      '540p 960x540 q7/1800',
      '360p 640x360 q7/800',
    ]);
    expect(describeRung(plan.mp4.rung)).toBe('540p 960x540 q7/1800');
    expect(plan.mp4.key).toBe('v/v4k/mp4/540p.mp4');
  });

  it('puts a 4K rung at quality 8 up to 12 Mbit/s on top of a 2160p source with UHD_LADDER, the MP4 still 540p', () => {
    const plan = planTranscode('v4k', source(3840, 2160), UHD_LADDER);

    expect(plan.hls.rungs.map(describeRung)).toEqual([
      '2160p 3840x2160 q8/12000',
      '1080p 1920x1080 q7/5000',
      '720p 1280x720 q7/3000',
      '540p 960x540 q7/1800',
      '360p 640x360 q7/800',
    ]);
    expect(describeRung(plan.mp4.rung)).toBe('540p 960x540 q7/1800');
    expect(plan.mp4.key).toBe('v/v4k/mp4/540p.mp4');
  });

  it('gives a 1080p source the same plan with UHD_LADDER as by default: the 4K rung is never upscaled to', () => {
    const info = source(1920, 1080);

    expect(planTranscode('vhd', info, UHD_LADDER)).toEqual(planTranscode('vhd', info));
  });

  it('cuts a 1080p 16:9 source from 1080p down, with the MP4 at 540p', () => {
    const plan = planTranscode('vhd', source(1920, 1080));

    expect(plan.hls.rungs.map(describeRung)).toEqual([
      '1080p 1920x1080 q7/5000',
      '720p 1280x720 q7/3000',
      '540p 960x540 q7/1800',
      '360p 640x360 q7/800',
    ]);
    expect(describeRung(plan.mp4.rung)).toBe('540p 960x540 q7/1800');
    expect(plan.gopSeconds).toBe(2);
    expect(plan.hls.segmentSeconds).toBe(6);
  });

  it('never upscales a 720p source: its top rung is 720p, its MP4 540p', () => {
    const plan = planTranscode('v720', source(1280, 720));

    expect(plan.hls.rungs.map(describeRung)).toEqual([
      '720p 1280x720 q7/3000',
      '540p 960x540 q7/1800',
      '360p 640x360 q7/800',
    ]);
    expect(describeRung(plan.mp4.rung)).toBe('540p 960x540 q7/1800');
    expect(plan.mp4.key).toBe('v/v720/mp4/540p.mp4');
  });

  it('gives a 360p source one rung, which is also its MP4', () => {
    const plan = planTranscode('v360', source(640, 360));

    expect(plan.hls.rungs.map(describeRung)).toEqual(['360p 640x360 q7/800']);
    expect(describeRung(plan.mp4.rung)).toBe('360p 640x360 q7/800');
    expect(plan.mp4.key).toBe('v/v360/mp4/360p.mp4');
  });

  it('turns the ladder for a portrait phone video: the rung names the short side, the width', () => {
    const plan = planTranscode('vphone', source(1080, 1920));

    expect(plan.hls.rungs.map(describeRung)).toEqual([
      '1080p 1080x1920 q7/5000',
      '720p 720x1280 q7/3000',
      '540p 540x960 q7/1800',
      '360p 360x640 q7/800',
    ]);
    expect(describeRung(plan.mp4.rung)).toBe('540p 540x960 q7/1800');
    expect(plan.mp4.key).toBe('v/vphone/mp4/540p.mp4');
    expect(plan.thumbnails).toEqual(expect.objectContaining({ width: 360, height: 640 }));
  });

  it('keeps a 4:3 source 4:3 on every rung and the MP4', () => {
    const plan = planTranscode('v43', source(1440, 1080));

    expect(plan.hls.rungs.map((rung) => `${rung.width}x${rung.height}`)).toEqual([
      '1440x1080',
      '960x720',
      '720x540',
      '480x360',
    ]);
    expect(describeRung(plan.mp4.rung)).toBe('540p 720x540 q7/1800');
  });

  it('gives a source smaller than the smallest rung one rung at its own size, with even sides', () => {
    const plan = planTranscode('vtiny', source(427, 241));

    expect(plan.hls.rungs.map(describeRung)).toEqual(['240p 426x240 q7/800']);
    expect(describeRung(plan.mp4.rung)).toBe('240p 426x240 q7/800');
    expect(plan.mp4.key).toBe('v/vtiny/mp4/240p.mp4');
    expect(plan.thumbnails).toEqual(expect.objectContaining({ width: 426, height: 240 }));
  });

  it('leaves out the rungs wider than the H.264 encoder allows (4096), rather than fail the job', () => {
    const plan = planTranscode('vwide', source(5120, 2160));
    // With the 4K rung on offer, its 5120×2160 frame is too wide: it goes, the rest stays.
    const uhd = planTranscode('vwide', source(5120, 2160), UHD_LADDER);

    expect(plan.hls.rungs.map((rung) => `${rung.name} ${rung.width}x${rung.height}`)).toEqual([
      '1080p 2560x1080',
      '720p 1706x720',
      '540p 1280x540',
      '360p 854x360',
    ]);
    expect(describeRung(plan.mp4.rung)).toBe('540p 1280x540 q7/1800');
    expect(uhd).toEqual(plan);
  });

  it('muxes AAC-LC stereo at 48 kHz and 128 kbit/s when the source has audio, and no audio when it has none', () => {
    const withAudio = planTranscode('va', source(1920, 1080));
    const silent = planTranscode('vs', source(1920, 1080, { hasAudio: false }));

    expect(withAudio.audio).toEqual({ bitrateKbps: 128, sampleRateHz: 48_000, channels: 2 });
    expect(silent.audio).toBeUndefined();
    expect('audio' in silent).toBe(false);
  });

  it('takes thumbnails every 10 s, at most 60, at 360p', () => {
    const plan = planTranscode('vt', source(1920, 1080));

    expect(plan.thumbnails).toEqual({
      width: 640,
      height: 360,
      intervalSeconds: 10,
      maxCaptures: 60,
      keyPrefix: 'v/vt/thumbs/',
    });
  });

  it('names every file under v/{id}/ the way MediaConvert names its outputs', () => {
    const plan = planTranscode('abc', source(1920, 1080));
    const rung720 = plan.hls.rungs.find((rung) => rung.name === '720p') as VideoRung;

    expect(plan.hls.masterKey).toBe('v/abc/hls/master.m3u8');
    expect(hlsMasterKey('abc')).toBe('v/abc/hls/master.m3u8');
    expect(hlsPlaylistKey('abc', rung720)).toBe('v/abc/hls/master_720p.m3u8');
    expect(hlsSegmentKey('abc', rung720, 1)).toBe('v/abc/hls/master_720p_00001.ts');
    expect(plan.mp4.key).toBe('v/abc/mp4/540p.mp4');
    expect(mp4Key('abc', plan.mp4.rung)).toBe('v/abc/mp4/540p.mp4');
    expect(thumbnailKey('abc', 0)).toBe('v/abc/thumbs/thumb.0000000.jpg');
    expect(thumbnailKey('abc', 12)).toBe('v/abc/thumbs/thumb.0000012.jpg');
  });

  it('lists the renditions highest first, each at its ceiling bitrate', () => {
    const plan = planTranscode('vr', source(1920, 1080));

    expect(renditionsOf(plan)).toEqual([
      { width: 1920, height: 1080, bitrateKbps: 5000 },
      { width: 1280, height: 720, bitrateKbps: 3000 },
      { width: 960, height: 540, bitrateKbps: 1800 },
      { width: 640, height: 360, bitrateKbps: 800 },
    ]);
  });

  it('picks the capture at 10 s as the poster, or the first one when the video is no longer than 10 s', () => {
    const plan = planTranscode('vp', source(1920, 1080));

    const long = outputsOf(plan, 95.5);
    const exactlyOneInterval = outputsOf(plan, 10);
    const short = outputsOf(plan, 4.2);

    expect(long).toEqual({
      hls: 'v/vp/hls/master.m3u8',
      mp4: 'v/vp/mp4/540p.mp4',
      thumbnail: 'v/vp/thumbs/thumb.0000001.jpg',
    });
    expect(exactlyOneInterval.thumbnail).toBe('v/vp/thumbs/thumb.0000000.jpg');
    expect(short.thumbnail).toBe('v/vp/thumbs/thumb.0000000.jpg');
  });

  it.each([
    ['width', 0, 1080],
    ['width', -1920, 1080],
    ['height', 1920, Number.NaN],
    ['height', 1920, Number.POSITIVE_INFINITY],
    ['width', 1, 1080],
  ])('refuses a source whose %s is nonsense (%p × %p), naming the value', (side, width, height) => {
    const bad = side === 'width' ? width : height;

    expect(() => planTranscode('vbad', source(width, height))).toThrow(RangeError);
    expect(() => planTranscode('vbad', source(width, height))).toThrow(new RegExp(`${side}.*got ${bad}`));
  });

  it('is data that nobody can change by accident', () => {
    expect(Object.isFrozen(DEFAULT_LADDER)).toBe(true);
    expect(Object.isFrozen(DEFAULT_LADDER.rungs)).toBe(true);
    expect(Object.isFrozen(DEFAULT_LADDER.rungs[0])).toBe(true);
    expect(Object.isFrozen(DEFAULT_LADDER.mp4)).toBe(true);
    expect(DEFAULT_LADDER.rungs.map((rung) => rung.shortSide)).toEqual([1080, 720, 540, 360]);
    expect(DEFAULT_LADDER.mp4).toEqual({ maxShortSide: 540, qvbrQuality: 7, maxBitrateKbps: 1_800 });
  });

  it('has UHD_LADDER frozen too, the default ladder with only the 2160p rung added on top', () => {
    const { rungs: uhdRungs, ...uhdRest } = UHD_LADDER;
    const { rungs: defaultRungs, ...defaultRest } = DEFAULT_LADDER;

    expect(Object.isFrozen(UHD_LADDER)).toBe(true);
    expect(Object.isFrozen(UHD_LADDER.rungs)).toBe(true);
    expect(Object.isFrozen(UHD_RUNG)).toBe(true);
    expect(UHD_RUNG).toEqual({ shortSide: 2160, qvbrQuality: 8, maxBitrateKbps: 12_000 });
    expect(uhdRungs).toEqual([UHD_RUNG, ...defaultRungs]);
    expect(uhdRungs.map((rung) => rung.shortSide)).toEqual([2160, 1080, 720, 540, 360]);
    expect(uhdRest).toEqual(defaultRest);
  });
});

const side = fc.oneof(
  fc.integer({ min: 2, max: 8192 }),
  fc.constantFrom(2, 3, 359, 360, 361, 539, 540, 541, 719, 720, 1079, 1080, 2159, 2160, 4095, 4096, 4097, 8191, 8192),
);
const anySource = fc.record({ width: side, height: side, durationSeconds: fc.constant(60), hasAudio: fc.boolean() });
const shortSide = (frame: { width: number; height: number }): number => Math.min(frame.width, frame.height);

describe.each([
  ['DEFAULT_LADDER', DEFAULT_LADDER],
  ['UHD_LADDER', UHD_LADDER],
])('the rendition ladder (%s), for any source from 2 to 8192 pixels either side', (_name, ladder) => {
  it('never makes a frame larger than the source in either dimension, or one with odd or empty sides', () => {
    fc.assert(
      fc.property(anySource, (info) => {
        const plan = planTranscode('vp', info, ladder);

        const frames = [...plan.hls.rungs, plan.mp4.rung, plan.thumbnails];
        for (const frame of frames) {
          expect(frame.width).toBeLessThanOrEqual(info.width);
          expect(frame.height).toBeLessThanOrEqual(info.height);
          expect(frame.width).toBeGreaterThan(0);
          expect(frame.height).toBeGreaterThan(0);
          expect(frame.width % 2).toBe(0);
          expect(frame.height % 2).toBe(0);
          expect(Math.max(frame.width, frame.height)).toBeLessThanOrEqual(ladder.maxLongSide);
        }
      }),
    );
  });

  it('has at least one rung, strictly decreasing in both dimensions', () => {
    fc.assert(
      fc.property(anySource, (info) => {
        const { rungs } = planTranscode('vp', info, ladder).hls;

        expect(rungs.length).toBeGreaterThan(0);
        for (let index = 1; index < rungs.length; index++) {
          const [above, below] = [rungs[index - 1] as VideoRung, rungs[index] as VideoRung];
          expect(below.width).toBeLessThan(above.width);
          expect(below.height).toBeLessThan(above.height);
        }
      }),
    );
  });

  it('keeps the MP4 at 540p or below, the highest rung that fits, and the segments a whole number of GOPs', () => {
    fc.assert(
      fc.property(anySource, (info) => {
        const plan = planTranscode('vp', info, ladder);
        const fitting = plan.hls.rungs.filter((rung) => shortSide(rung) <= DEFAULT_LADDER.mp4.maxShortSide);

        expect(shortSide(plan.mp4.rung)).toBeLessThanOrEqual(DEFAULT_LADDER.mp4.maxShortSide);
        expect(plan.mp4.rung).toEqual(fitting[0]);
        expect(plan.mp4.rung.maxBitrateKbps).toBeLessThanOrEqual(DEFAULT_LADDER.mp4.maxBitrateKbps);
        expect(plan.mp4.key).toBe(`v/vp/mp4/${plan.mp4.rung.name}.mp4`);
        expect(plan.hls.segmentSeconds % plan.gopSeconds).toBe(0);
        expect(shortSide(plan.thumbnails)).toBeLessThanOrEqual(360);
        expect(plan.audio !== undefined).toBe(info.hasAudio);
      }),
    );
  });

  it("keeps the source's aspect ratio to within a pixel of the long side", () => {
    const fitsTheEncoder = (info: SourceInfo) =>
      (Math.min(info.width, info.height) * ladder.maxLongSide) / Math.max(info.width, info.height) >= 2;
    fc.assert(
      fc.property(anySource.filter(fitsTheEncoder), (info) => {
        const plan = planTranscode('vp', info, ladder);

        const ratio = Math.max(info.width, info.height) / Math.min(info.width, info.height);
        for (const rung of plan.hls.rungs) {
          const exactLong = shortSide(rung) * ratio;
          // One pixel, give or take the float error of the exact long side.
          expect(Math.abs(Math.max(rung.width, rung.height) - exactLong)).toBeLessThanOrEqual(1 + 1e-9);
        }
      }),
    );
  });
});

describe('the default ladder against UHD_LADDER, for any source from 2 to 8192 pixels either side', () => {
  it('never has a rung above 1080p by default, so no output bills as UHD', () => {
    fc.assert(
      fc.property(anySource, (info) => {
        const plan = planTranscode('vp', info);

        for (const rung of plan.hls.rungs) expect(shortSide(rung)).toBeLessThanOrEqual(1080);
        expect(plan.hls.rungs.some((rung) => rung.name === '2160p')).toBe(false);
      }),
    );
  });

  it('differs with UHD_LADDER only by the 2160p rung on top, for the sources that can fill it', () => {
    fc.assert(
      fc.property(anySource, (info) => {
        const byDefault = planTranscode('vp', info);
        const uhd = planTranscode('vp', info, UHD_LADDER);
        const [top, ...rest] = uhd.hls.rungs as [VideoRung, ...VideoRung[]];
        // Integer arithmetic: the 2160p frame's short side fits the source, its long side the encoder.
        const fits2160 =
          shortSide(info) >= 2160 &&
          2160 * Math.max(info.width, info.height) <= UHD_LADDER.maxLongSide * shortSide(info);

        if (fits2160) {
          expect(top.name).toBe('2160p');
          expect([top.qvbrQuality, top.maxBitrateKbps]).toEqual([8, 12_000]);
          expect(rest).toEqual(byDefault.hls.rungs);
          expect({ ...uhd, hls: { ...uhd.hls, rungs: rest } }).toEqual(byDefault);
        } else {
          expect(uhd).toEqual(byDefault);
        }
      }),
    );
  });
});
