import { createApiRuntime } from '../../lambda/api/runtime';
import { proxyEvent } from '../../local/api-gateway-event';
import { type LocalServers, startLocalServers } from '../../local/harness/local-servers';
import { logLinesDuring } from '../support/log-lines';

/** Every log line of a request names the request and, on the video routes, the video. */

let servers: LocalServers;

beforeAll(async () => {
  servers = await startLocalServers();
});
afterAll(async () => {
  await servers.stop();
});

it('puts the request id and the video id on every line of a request, and takes them off after it', async () => {
  // Prepare
  const level = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  const runtime = createApiRuntime(servers.env);
  process.env.POWERTOOLS_LOG_LEVEL = level;
  const route = runtime.handle('getVideo', async () => {
    runtime.logger.info('reading the video');
    return { statusCode: 200, body: '' };
  });
  const list = runtime.handle('listVideos', async () => {
    runtime.logger.info('listing');
    return { statusCode: 200, body: '' };
  });
  const event = proxyEvent({
    method: 'GET',
    resource: '/videos/{id}',
    path: '/videos/abc',
    pathParameters: { id: 'abc' },
  });

  // Act
  const lines = await logLinesDuring(async () => {
    await route(event);
    await list(proxyEvent({ method: 'GET', resource: '/videos', path: '/videos' }));
  });

  // Assess
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatchObject({
    message: 'reading the video',
    operationId: 'getVideo',
    requestId: event.requestContext.requestId,
    videoId: 'abc',
  });
  expect(lines[1]).toMatchObject({ message: 'listing', operationId: 'listVideos' });
  expect(lines[1]?.requestId).not.toBe(event.requestContext.requestId);
  expect(lines[1]).not.toHaveProperty('videoId');
  runtime.cache.disconnect();
});
