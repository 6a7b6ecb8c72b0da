import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deliverWebhook } from '../../lambda/notify/deliver';
import { reusablePort } from '../../local/harness/local-servers';

const SECRET = 'whsec_test_0123456789abcdefghijklmnopqrstuvwxyz';

/** A receiver on 127.0.0.1 that answers with `respond`; records the paths it was asked for. */
async function startServer(respond: (request: IncomingMessage, response: ServerResponse) => void) {
  const paths: string[] = [];
  const server: Server = createServer((request, response) => {
    paths.push(request.url ?? '');
    request.resume();
    respond(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const attempt = (url: string, timeoutMs = 2000) =>
  deliverWebhook({ url, secret: SECRET, eventId: 'evt_1', body: '{"id":"evt_1"}', now: new Date(), timeoutMs, fetch });

describe('one webhook delivery attempt', () => {
  it('ends delivery on any 2xx', async () => {
    const results = [];
    for (const status of [200, 201, 202, 204, 299]) {
      const server = await startServer((_, response) => response.writeHead(status).end());
      results.push(await attempt(server.url));
      await server.close();
    }

    expect(results.map((result) => result.outcome)).toEqual([
      'delivered',
      'delivered',
      'delivered',
      'delivered',
      'delivered',
    ]);
  });

  it('retries on 5xx, 408, 429 and every other 4xx, naming the status', async () => {
    const statuses = [500, 502, 503, 504, 408, 429, 400, 401, 403, 404, 410, 413, 422];
    const results = [];
    for (const status of statuses) {
      const server = await startServer((_, response) => response.writeHead(status).end('nope'));
      results.push(await attempt(server.url));
      await server.close();
    }

    expect(results).toEqual(statuses.map((status) => ({ outcome: 'retry', reason: `HTTP ${status}`, status })));
  });

  it('retries on a redirect without following it', async () => {
    const target = await startServer((_, response) => response.writeHead(204).end());
    const redirecting = await startServer((_, response) => response.writeHead(307, { Location: target.url }).end());

    const result = await attempt(redirecting.url);

    expect(result).toEqual({ outcome: 'retry', reason: 'redirect 307 not followed', status: 307 });
    expect(target.paths).toEqual([]);
    await Promise.all([target.close(), redirecting.close()]);
  });

  it('retries when nothing listens on the port', async () => {
    const port = await reusablePort();

    const result = await attempt(`http://127.0.0.1:${port}/hooks`);

    expect(result).toEqual({ outcome: 'retry', reason: 'connection failed: ECONNREFUSED' });
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    const silent = await startServer(() => undefined);
    const startedAt = Date.now();

    const result = await attempt(silent.url, 300);

    expect(result).toEqual({ outcome: 'retry', reason: 'no response within 300 ms' });
    expect(Date.now() - startedAt).toBeLessThan(2000);
    await silent.close();
  });

  it('does not read the body of the answer: an endless 200 still ends delivery at once', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const endless = await startServer((_, response) => {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      const pump = () => {
        while (!response.destroyed && response.write(chunk)) {
          // Keep writing until the socket pushes back.
        }
        if (!response.destroyed) response.once('drain', pump);
      };
      pump();
    });
    const startedAt = Date.now();

    const result = await attempt(endless.url, 1000);

    expect(result).toEqual({ outcome: 'delivered', status: 200 });
    expect(Date.now() - startedAt).toBeLessThan(1000);
    await endless.close();
  });
});
