import { type ChildProcess, spawn } from 'node:child_process';
import Redis from 'ioredis';

/**
 * A real `redis-server` on loopback, standing in for ElastiCache Valkey: no persistence (it is
 * a cache), and it can be stopped and started again on the same port.
 */
export class RedisServer {
  private process?: ChildProcess;
  constructor(readonly port: number) {}

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
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
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
