import { getVideo } from '../core/videos';
import { jsonResponse, optionalCaller, videoIdParameter } from './http';
import { sharedRuntime } from './runtime';

const runtime = sharedRuntime();

/** GET /videos/{id}: 200 { video }, to anyone for a public video, to its owner for a private one. */
export const handler = runtime.handle('getVideo', async (event) => {
  const caller = await optionalCaller(event, runtime.verifyToken);
  const id = videoIdParameter(event);
  return jsonResponse(event, runtime.responses, 200, await getVideo(runtime.deps, caller, id));
});
