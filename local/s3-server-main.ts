/**
 * The S3-compatible server in a process of its own, as `startLocalS3Process` runs it: the options
 * come in the first IPC message; `ready` and every created object go back the same way. It ends
 * when its parent does, however the parent ends.
 */
import './quiet-warnings';
import { type LocalS3, type LocalS3Options, startLocalS3 } from './local-s3';

let server: LocalS3 | undefined;
const send = (message: unknown) => process.send?.(message);

process.once('message', (options: LocalS3Options) => {
  startLocalS3(options)
    .then((started) => {
      server = started;
      started.onObjectCreated((object) => send({ type: 'object-created', object }));
      send({ type: 'ready', port: started.port });
    })
    .catch((error: Error) => {
      send({ type: 'failed', message: error.message });
      process.exit(1);
    });
});

const stop = () => {
  void (server?.close() ?? Promise.resolve()).finally(() => process.exit(0));
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
// Ctrl-C reaches the whole process group: the parent decides when this server stops.
process.on('SIGINT', () => undefined);
