import { CompleteUploadRequestSchema } from '../core/schemas';
import { completeUpload } from '../core/videos';
import { authorizedCaller, jsonBody, jsonResponse, videoIdParameter } from './http';
import { sharedRuntime } from './runtime';

const runtime = sharedRuntime();

/** POST /videos/{id}/upload/complete: 202 { video } with status PROCESSING. */
export const handler = runtime.handle('completeUpload', async (event) => {
  const caller = authorizedCaller(event);
  const id = videoIdParameter(event);
  const input = jsonBody(event, CompleteUploadRequestSchema);
  return jsonResponse(event, runtime.responses, 202, await completeUpload(runtime.deps, caller, id, input));
});
