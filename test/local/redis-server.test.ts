import Redis from 'ioredis';
import { RedisServer } from '../../local/redis-server';

describe('the local redis-server', () => {
  it('starts on a free port and answers there', async () => {
    // Act
    const server = await RedisServer.startOnFreePort();

    // Assess
    const client = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 0 });
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
      await server.stop();
    }
  });

  it('refuses a port another redis-server already holds instead of taking that server for its own', async () => {
    // Prepare
    const holder = await RedisServer.startOnFreePort();

    try {
      // Act
      const second = new RedisServer(holder.port).start();

      // Assess
      await expect(second).rejects.toThrow(`port ${holder.port} is already taken`);
    } finally {
      await holder.stop();
    }
  });

  it('can be stopped and started again on the same port', async () => {
    // Prepare
    const server = await RedisServer.startOnFreePort();
    await server.stop();

    // Act
    await server.start();

    // Assess
    const client = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 0 });
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
