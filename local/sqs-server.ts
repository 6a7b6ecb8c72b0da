import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The SQS-compatible server (fauxqs, in memory) in its own process on a loopback port. */
export interface LocalSqs {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

/** fauxqs is an ES module; a child process keeps it out of CommonJS callers such as Jest. */
export async function startLocalSqs(port = 0): Promise<LocalSqs> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'fauxqs-server.mjs'), String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const actualPort = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /ready (\d+)/.exec(output);
      if (ready) resolve(Number(ready[1]));
    });
    child.once('exit', (code) =>
      reject(new Error(`the SQS server exited with ${code} before it was ready: ${errors}`)),
    );
  });
  return {
    port: actualPort,
    endpoint: `http://127.0.0.1:${actualPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
