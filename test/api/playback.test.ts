import { verifyPlaybackToken } from '../../lambda/core/playback-token';
import { TEST_CDN, TEST_SIGNING_KEY } from '../../local/harness/local-servers';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { createVideo, expectApiError, markReady, outputsOf, processingVideo } from '../support/videos';

const PUBLIC_TTL_SECONDS = 86_400;
const PRIVATE_TTL_SECONDS = 1_800;

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness({
    PUBLIC_PLAYBACK_TTL_SECONDS: String(PUBLIC_TTL_SECONDS),
    PRIVATE_PLAYBACK_TTL_SECONDS: String(PRIVATE_TTL_SECONDS),
  });
});
afterAll(async () => api.stop());

const nowSeconds = () => Math.floor(Date.now() / 1000);
const secretFor = (keyId: string) => (keyId === TEST_SIGNING_KEY.keyId ? TEST_SIGNING_KEY.secret : undefined);

/** The token in the path of a playback URL, checking that the URL is the CDN's and names the file. */
function tokenOf(url: string, file: string): string {
  const prefix = `${TEST_CDN}/t/`;
  const suffix = `/${file}`;
  expect(url.startsWith(prefix)).toBe(true);
  expect(url.endsWith(suffix)).toBe(true);
  return url.slice(prefix.length, url.length - suffix.length);
}

async function readyVideo(owner: string, visibility: 'public' | 'private'): Promise<string> {
  const id = await processingVideo(api, owner, { visibility });
  await markReady(api, id);
  return id;
}

describe('getPlayback', () => {
  it('answers 409 while the video is UPLOADING or PROCESSING', async () => {
    const uploading = (await createVideo(api, 'paula')).video.id;
    const processing = await processingVideo(api, 'paula');

    const whileUploading = await api.call('getPlayback', { id: uploading });
    const whileProcessing = await api.call('getPlayback', { id: processing });

    expectApiError(whileUploading, 409, 'INVALID_STATE');
    expectApiError(whileProcessing, 409, 'INVALID_STATE');
  });

  it('gives anyone CDN URLs of a public READY video with one token that verifies, valid for about a day rounded up to the hour', async () => {
    const id = await readyVideo('paula', 'public');
    const before = nowSeconds();

    const response = await api.call('getPlayback', { id });

    const after = nowSeconds();
    expect(response.status).toBe(200);
    const outputs = outputsOf(id);
    const tokens = [
      tokenOf(response.body.hls, outputs.hls),
      tokenOf(response.body.mp4, outputs.mp4),
      tokenOf(response.body.thumbnail, outputs.thumbnail),
    ];
    expect(new Set(tokens).size).toBe(1);
    const check = verifyPlaybackToken(tokens[0] ?? '', id, secretFor, after);
    expect(check).toMatchObject({ valid: true, token: { keyId: TEST_SIGNING_KEY.keyId } });
    const expiresAt = check.valid ? check.token.expiresAt : 0;
    expect(response.body.expiresAt).toBe(new Date(expiresAt * 1000).toISOString());
    expect(expiresAt % 3600).toBe(0);
    expect(expiresAt).toBeGreaterThanOrEqual(before + PUBLIC_TTL_SECONDS);
    expect(expiresAt).toBeLessThan(after + PUBLIC_TTL_SECONDS + 3600);
  });

  it('mints a token that does not open another video', async () => {
    const id = await readyVideo('paula', 'public');
    const other = await readyVideo('paula', 'public');

    const response = await api.call('getPlayback', { id });

    const token = tokenOf(response.body.hls, outputsOf(id).hls);
    expect(verifyPlaybackToken(token, other, secretFor, nowSeconds())).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
  });

  it('gives the owner of a private READY video a short-lived token, and answers 404 to everyone else', async () => {
    const id = await readyVideo('paula', 'private');
    const before = nowSeconds();

    const owner = await api.call('getPlayback', { id, headers: await api.bearer('paula') });
    const after = nowSeconds();
    const someoneElse = await api.call('getPlayback', { id, headers: await api.bearer('bob') });
    const anonymous = await api.call('getPlayback', { id });

    expect(owner.status).toBe(200);
    const token = tokenOf(owner.body.mp4, outputsOf(id).mp4);
    const check = verifyPlaybackToken(token, id, secretFor, after);
    expect(check.valid).toBe(true);
    const expiresAt = check.valid ? check.token.expiresAt : 0;
    expect(expiresAt).toBeGreaterThanOrEqual(before + PRIVATE_TTL_SECONDS);
    expect(expiresAt).toBeLessThanOrEqual(after + PRIVATE_TTL_SECONDS);
    expectApiError(someoneElse, 404, 'NOT_FOUND');
    expectApiError(anonymous, 404, 'NOT_FOUND');
  });

  it('answers 401 for a bad token even on a public READY video', async () => {
    const id = await readyVideo('paula', 'public');
    const expired = await api.servers.identity.issue('paula', { expiresInSeconds: -10 });

    const response = await api.call('getPlayback', { id, headers: { Authorization: `Bearer ${expired}` } });

    expectApiError(response, 401, 'UNAUTHORIZED');
  });
});
