import { UpdateVideoRequestSchema } from '../core/schemas';
import { updateVideo } from '../core/videos';
import { authorizedCaller, jsonBody, jsonResponse, videoIdParameter } from './http';
import { sharedRuntime } from './runtime';

const runtime = sharedRuntime();

/** PATCH /videos/{id}: 200 { video }, owner only. */
export const handler = runtime.handle('updateVideo', async (event) => {
  const caller = authorizedCaller(event);
  const id = videoIdParameter(event);
  const input = jsonBody(event, UpdateVideoRequestSchema);
  return jsonResponse(event, runtime.responses, 200, await updateVideo(runtime.deps, caller, id, input));
});
