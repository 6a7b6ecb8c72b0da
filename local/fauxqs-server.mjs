// An SQS-compatible server on loopback: fauxqs's app, listening on 127.0.0.1 only (its own CLI
// binds every interface). Run as `node local/fauxqs-server.mjs <port>`; prints `ready <port>`.
import { buildApp } from 'fauxqs';

const port = Number(process.argv[2] ?? 0);
const app = buildApp({ logger: false });
await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`ready ${app.server.address().port}\n`);
const stop = () => app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
