import { deleteVideo } from '../core/videos';
import { authorizedCaller, noContent, videoIdParameter } from './http';
import { sharedRuntime } from './runtime';

const runtime = sharedRuntime();

/** DELETE /videos/{id}: 204, owner only. */
export const handler = runtime.handle('deleteVideo', async (event) => {
  const caller = authorizedCaller(event);
  await deleteVideo(runtime.deps, caller, videoIdParameter(event));
  return noContent(event, runtime.responses);
});
