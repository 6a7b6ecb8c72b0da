import { abortUpload } from '../core/videos';
import { authorizedCaller, noContent, videoIdParameter } from './http';
import { sharedRuntime } from './runtime';

const runtime = sharedRuntime();

/** DELETE /videos/{id}/upload: 204. */
export const handler = runtime.handle('abortUpload', async (event) => {
  const caller = authorizedCaller(event);
  await abortUpload(runtime.deps, caller, videoIdParameter(event));
  return noContent(event, runtime.responses);
});
