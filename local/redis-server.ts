import { type ChildProcess, spawn } from 'node:child_process';
import Redis from 'ioredis';
import { freePort, portInUse } from './ports';

/** How many free ports to try before giving up: another program can take one between the pick and the bind. */
const PORT_ATTEMPTS = 5;

/** The port was taken between the pick and the bind; another free port will do. */
class PortTaken extends Error {}

/**
 * A real `redis-server` on loopback, standing in for ElastiCache Valkey: no persistence (it is
 * a cache), and it can be stopped and started again on the same port.
 */
export class RedisServer {
  private process?: ChildProcess;
  constructor(readonly port: number) {}

  /**
   * Starts one on a free port. redis-server cannot be told to pick one itself (port 0 turns TCP
   * off), so a port taken between the pick and the bind is retried with another.
   */
  static async startOnFreePort(): Promise<RedisServer> {
    for (let attempt = 1; ; attempt++) {
      const server = new RedisServer(await freePort());
      try {
        await server.start();
        return server;
      } catch (error) {
        if (!(error instanceof PortTaken) || attempt >= PORT_ATTEMPTS) throw error;
      }
    }
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(this.port), '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.process = child;
    let exited: string | undefined;
    child.once('error', (error) => {
      exited = error.message;
    });
    child.once('exit', (code) => {
      exited ??= `exited with ${code}`;
    });
    const probe = new Redis({ host: '127.0.0.1', port: this.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    for (let attempt = 0; attempt < 100 && exited === undefined; attempt++) {
      try {
        await probe.connect();
        // Whoever answers on the port must be our child, not a server that had the port first.
        const info = await probe.info('server');
        probe.disconnect();
        if (Number(/process_id:(\d+)/.exec(info)?.[1]) === child.pid) return;
        await this.stop();
        throw new PortTaken(`port ${this.port} is already taken by another redis-server`);
      } catch (error) {
        probe.disconnect();
        if (error instanceof PortTaken) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await this.stop();
    // redis-server exits with 1 when it cannot bind; a port in use is the usual reason.
    if (exited !== undefined && (await portInUse(this.port))?.code === 'EADDRINUSE') {
      throw new PortTaken(`port ${this.port} is already taken`);
    }
    throw new Error(`redis-server did not start on port ${this.port}${exited ? `: ${exited}` : ''}`);
  }

  /** Kills the server at once, as a crash would. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
