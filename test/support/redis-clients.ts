import Redis from 'ioredis';

/** A connected client that fails fast while Redis is down, as the twin configures its own. */
export async function failFastClient(port: number): Promise<Redis> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 100,
  });
  // Expected while a test has the server stopped; the client reconnects by itself.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
