import { bufsizeKbpsFor, crfFor } from '../../../local/transcoder/video-encoding';

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
