import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The lowest port the kernel hands out for `listen(0)` and outgoing connections. */
function ephemeralPortFloor(): number {
  try {
    const floor = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(floor) && floor > 10_000 ? floor : 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * A free loopback port below the kernel's ephemeral range, for a server that is stopped and
 * started again on the same port (a receiver that goes down and comes back, the twin after a
 * crash): no other process's `listen(0)` can be given it in between, as it can a `freePort()`.
 */
export async function reusablePort(): Promise<number> {
  const floor = ephemeralPortFloor();
  for (let tries = 0; tries < 100; tries++) {
    const port = floor - 1 - Math.floor(Math.random() * 8000);
    if ((await portInUse(port)) === undefined) return port;
  }
  throw new Error(`no free loopback port found from ${floor - 8000} to ${floor - 1}`);
}

/** Whether something already listens on `port` on loopback (or the port cannot be bound). */
export async function portInUse(port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(undefined)));
  });
}

/** A server listening on loopback, with a close that also ends keep-alive connections. */
export interface LoopbackServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (`port` 0 picks a free one); rejects with the listen error, e.g. EADDRINUSE. */
export async function listenOnLoopback(server: Server, port: number): Promise<LoopbackServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
