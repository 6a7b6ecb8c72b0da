import { getUploadState } from '../core/videos';
import { authorizedCaller, jsonResponse, videoIdParameter } from './http';
import { sharedRuntime } from './runtime';

const runtime = sharedRuntime();

/** GET /videos/{id}/upload: 200, the parts so far and fresh URLs for the rest (resume). */
export const handler = runtime.handle('getUpload', async (event) => {
  const caller = authorizedCaller(event);
  const id = videoIdParameter(event);
  return jsonResponse(event, runtime.responses, 200, await getUploadState(runtime.deps, caller, id));
});
