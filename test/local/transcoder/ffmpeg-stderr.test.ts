import { stderrSummary } from '../../../local/transcoder/ffmpeg-stderr';

describe('ffmpeg’s error messages', () => {
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
