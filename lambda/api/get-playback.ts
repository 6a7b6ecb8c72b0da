import { getPlayback } from '../core/videos';
import { jsonResponse, optionalCaller, videoIdParameter } from './http';
import { sharedRuntime } from './runtime';

const runtime = sharedRuntime();

/** GET /videos/{id}/playback: 200 { hls, mp4, thumbnail, expiresAt } with path tokens. */
export const handler = runtime.handle('getPlayback', async (event) => {
  const caller = await optionalCaller(event, runtime.verifyToken);
  const id = videoIdParameter(event);
  return jsonResponse(event, runtime.responses, 200, await getPlayback(runtime.deps, caller, id));
});
