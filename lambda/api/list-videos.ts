import { ListVideosQuerySchema } from '../core/schemas';
import { listVideos } from '../core/videos';
import { authorizedCaller, jsonResponse, queryParameters } from './http';
import { sharedRuntime } from './runtime';

const runtime = sharedRuntime();

/** GET /videos?limit=&cursor=: 200 { items, nextCursor }. */
export const handler = runtime.handle('listVideos', async (event) => {
  const caller = authorizedCaller(event);
  const query = queryParameters(event, ListVideosQuerySchema);
  return jsonResponse(event, runtime.responses, 200, await listVideos(runtime.deps, caller, query));
});
