import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { CreatedObject, LocalS3, LocalS3Options } from './local-s3';

type FromServer =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'object-created'; readonly object: CreatedObject };

/**
 * The S3-compatible server in a child process, as S3 is a service of its own: the bytes of
 * uploads and playback never share an event loop or a heap with the API, so the API's memory and
 * latency are its own. It stops with its parent, even when the parent is killed.
 */
export async function startLocalS3Process(options: LocalS3Options): Promise<LocalS3> {
  const child = fork(join(__dirname, 's3-server-main.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const listeners: ((object: CreatedObject) => void)[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (message: FromServer) => {
      if (message.type === 'ready') resolve(message.port);
      else if (message.type === 'failed') reject(new Error(`the S3 server did not start: ${message.message}`));
      else for (const listener of listeners) listener(message.object);
    });
    void exited.then(() => reject(new Error(`the S3 server exited with ${child.exitCode} before it was ready`)));
    child.send(options);
  });
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    onObjectCreated: (listener) => {
      listeners.push(listener);
    },
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
