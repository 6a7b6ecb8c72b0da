import { freePort } from '../../local/harness/local-servers';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { createVideo } from '../support/videos';

/**
 * The issuer's key set cannot be fetched (nothing listens where it should be). That is our
 * fault, not the caller's: a signed-in caller must not be told that a good token is bad.
 */

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness({ JWKS_URL: `http://127.0.0.1:${await freePort()}/.well-known/jwks.json` });
});
afterAll(async () => api.stop());

describe('while the key set of the token issuer is unreachable', () => {
  it('still shows a public video to anonymous callers, who need no key set', async () => {
    const { video } = await createVideo(api, 'alice', { visibility: 'public' });

    const response = await api.call('getVideo', { id: video.id });

    expect(response.status).toBe(200);
  });

  it('answers a caller with a well-formed token with a 5xx, not a 401, every time', async () => {
    const { video } = await createVideo(api, 'alice', { visibility: 'public' });
    const headers = await api.bearer('alice');

    const responses = [
      await api.call('getVideo', { id: video.id, headers }),
      await api.call('getPlayback', { id: video.id, headers }),
      await api.call('getVideo', { id: video.id, headers }),
    ];

    expect(responses.map((response) => response.status)).toEqual([500, 500, 500]);
    for (const response of responses)
      expect(response.body).toEqual({ error: { code: 'INTERNAL_ERROR', message: expect.any(String) } });
  });
});
