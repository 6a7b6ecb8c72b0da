import { CreateVideoRequestSchema } from '../core/schemas';
import { createVideo } from '../core/videos';
import { authorizedCaller, jsonBody, jsonResponse } from './http';
import { sharedRuntime } from './runtime';

const runtime = sharedRuntime();

/** POST /videos: 201 { video, upload }. */
export const handler = runtime.handle('createVideo', async (event) => {
  const caller = authorizedCaller(event);
  const input = jsonBody(event, CreateVideoRequestSchema);
  return jsonResponse(event, runtime.responses, 201, await createVideo(runtime.deps, caller, input));
});
