import fc from 'fast-check';
import {
  MAX_TOKEN_LIFETIME_SECONDS,
  mintPlaybackToken,
  parsePlaybackToken,
  playbackPath,
  verifyPlaybackToken,
} from '../../lambda/core/playback-token';

const key = { keyId: 'k2026', secret: 'playback-secret-material-for-tests-0123' };
const secrets = new Map([[key.keyId, key.secret]]);
const now = 1_800_000_000;

describe('playback tokens', () => {
  it('mints keyId.expiresAt.signature with a 43-character base64url signature', () => {
    const token = mintPlaybackToken(key, 'vid_123', now + 60);

    expect(token).toMatch(/^k2026\.1800000060\.[A-Za-z0-9_-]{43}$/);
  });

  it('verifies a token it minted, for the same video, until it expires', () => {
    const token = mintPlaybackToken(key, 'vid_123', now + 60);

    expect(verifyPlaybackToken(token, 'vid_123', (id) => secrets.get(id), now)).toMatchObject({ valid: true });
    expect(verifyPlaybackToken(token, 'vid_123', (id) => secrets.get(id), now + 60)).toEqual({
      valid: false,
      reason: 'expired',
    });
  });

  it('rejects a token for another video, an unknown key and a changed expiry', () => {
    const token = mintPlaybackToken(key, 'vid_123', now + 60);
    const lookup = (id: string) => secrets.get(id);

    expect(verifyPlaybackToken(token, 'vid_999', lookup, now)).toEqual({ valid: false, reason: 'bad-signature' });
    expect(verifyPlaybackToken(token.replace('k2026', 'k2027'), 'vid_123', lookup, now)).toEqual({
      valid: false,
      reason: 'unknown-key',
    });
    expect(verifyPlaybackToken(token.replace('.1800000060.', '.1800000120.'), 'vid_123', lookup, now)).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
  });

  it('rejects a validly signed token that claims to last longer than a week', () => {
    const token = mintPlaybackToken(key, 'vid_123', now + MAX_TOKEN_LIFETIME_SECONDS + 1);

    expect(verifyPlaybackToken(token, 'vid_123', (id) => secrets.get(id), now)).toEqual({
      valid: false,
      reason: 'expiry-too-far',
    });
  });

  it('builds the media path that carries the token', () => {
    expect(playbackPath('T', 'vid', 'hls/master.m3u8')).toBe('/t/T/v/vid/hls/master.m3u8');
  });

  it('refuses to mint for ids, keys or expiries outside the format', () => {
    expect(() => mintPlaybackToken(key, '../etc', now)).toThrow(RangeError);
    expect(() => mintPlaybackToken({ ...key, keyId: 'a.b' }, 'vid', now)).toThrow(RangeError);
    expect(() => mintPlaybackToken({ ...key, secret: 'short' }, 'vid', now)).toThrow(RangeError);
    expect(() => mintPlaybackToken(key, 'vid', 1.5)).toThrow(RangeError);
  });

  describe('parser (property-based)', () => {
    const keyIds = fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/);
    const videoIds = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
    const expiries = fc.integer({ min: 0, max: 999_999_999_999 });
    const secretsArb = fc.stringMatching(/^[A-Za-z0-9_-]{32,128}$/);

    it('parses every minted token back into the key id and expiry it was minted with', () => {
      fc.assert(
        fc.property(keyIds, secretsArb, videoIds, expiries, (keyId, secret, videoId, expiresAt) => {
          const parsed = parsePlaybackToken(mintPlaybackToken({ keyId, secret }, videoId, expiresAt));
          expect(parsed).toMatchObject({ keyId, expiresAt });
        }),
      );
    });

    it('never throws on arbitrary input, and accepts nothing with characters outside the format', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (input) => {
          const parsed = parsePlaybackToken(input);
          if (parsed !== undefined) expect(input).toMatch(/^[A-Za-z0-9_-]+\.[0-9]+\.[A-Za-z0-9_-]{43}$/);
        }),
      );
    });

    it('rejects every single-character change to a valid token', () => {
      fc.assert(
        fc.property(
          videoIds,
          fc.integer({ min: now + 1, max: now + 86_400 }),
          fc.nat(),
          fc.constantFrom(...'ABCxyz019-_.'),
          (videoId, expiresAt, position, replacement) => {
            const token = mintPlaybackToken(key, videoId, expiresAt);
            const at = position % token.length;
            fc.pre(token[at] !== replacement);
            const tampered = token.slice(0, at) + replacement + token.slice(at + 1);
            const check = verifyPlaybackToken(tampered, videoId, (id) => secrets.get(id), now);
            expect(check.valid).toBe(false);
          },
        ),
      );
    });
  });
});
