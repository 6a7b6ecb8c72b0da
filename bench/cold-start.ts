/**
 * Cold start: for every handler the CDK app deploys, the bundle as `NodejsFunction` builds it
 * (its size), and the time a fresh Node process takes to load it and answer a first event, against
 * a reference loaded the way AWS's "Video on Demand on AWS" handlers load: unbundled, one file per
 * module, `@aws-sdk/*` and everything else resolved from node_modules.
 *
 *   npm run bench:cold-start
 *
 * The bundles are the CDK's own: the app is built with bundling on, exactly as `cdk synth` builds
 * it, and each function's staged asset is measured. Each process runs with the function's own
 * NODE_OPTIONS and answers a real event against local servers on loopback (dynalite, s3rver,
 * redis-server, the SQS server, a webhook receiver); every other AWS endpoint points at a closed
 * loopback port. Node's own start (a near-empty script) is measured in the same loop and
 * subtracted. Writes bench/RESULTS.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WEBHOOK_ENV, WEBHOOK_SECRET } from '../lambda/notify/environment';
import { PIPELINE_ENV } from '../lambda/transcode/environment';
import { type LocalServers, startLocalServers } from '../local/harness/local-servers';
import { shippedBundles } from './cold-start/cdk-bundles';
import { firstEvent } from './cold-start/first-events';
import { leverSubjects } from './cold-start/levers';
import { type HandlerRow, measure, noSamples, writeRunner } from './cold-start/measure';
import { transpileReference } from './cold-start/reference';
import { coldStartReport } from './cold-start/report';
import { writeResultsSection } from './results';
import { runMain } from './run-main';

/** The levers are built on the handler the issue measured (DynamoDB and S3 at load). */
const LEVER_ENTRY = 'lambda/api/create-video.ts';

/** A webhook receiver on loopback that takes every delivery. */
async function startWebhookReceiver(): Promise<Server> {
  const receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  return receiver;
}

/** Every handler's environment: the local servers, and a closed loopback port for every other AWS endpoint. */
async function handlerEnvironment(servers: LocalServers, receiver: Server, baseEnv: Record<string, string>) {
  const webhookQueue = await servers.createQueue('bench-webhooks');
  return {
    ...baseEnv,
    ...servers.env,
    // Every endpoint not overridden below (MediaConvert, Secrets Manager, STS…): a closed loopback port.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    [PIPELINE_ENV.mediaConvertRoleArn]: 'arn:aws:iam::000000000000:role/bench',
    [PIPELINE_ENV.mediaConvertQueueArn]: 'arn:aws:mediaconvert:eu-west-1:000000000000:queues/bench',
    [WEBHOOK_ENV.url]: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
    [WEBHOOK_SECRET]: 'a-bench-webhook-secret-of-some-length',
    [WEBHOOK_ENV.queueUrl]: webhookQueue.url,
  };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'vod-cold-start-'));
  const servers = await startLocalServers({ POWERTOOLS_LOG_LEVEL: 'CRITICAL' });
  const receiver = await startWebhookReceiver();
  try {
    process.stdout.write('bundling every handler as the CDK app does… ');
    const bundlingStarted = performance.now();
    const shipped = shippedBundles(join(scratch, 'cdk.out'));
    console.log(`${shipped.length} handlers in ${((performance.now() - bundlingStarted) / 1000).toFixed(1)} s`);
    const reference = transpileReference(scratch);
    const runner = writeRunner(scratch);

    const baseEnv: Record<string, string> = { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8' };
    const handlerEnv: Record<string, string> = await handlerEnvironment(servers, receiver, baseEnv);

    const rows: HandlerRow[] = shipped.map((handler, index) => {
      const { event, check } = firstEvent(handler.entry, servers.uploadBucket);
      const eventFile = join(scratch, `event-${index}.json`);
      writeFileSync(eventFile, JSON.stringify(event));
      const env = { ...handlerEnv, ...(handler.nodeOptions ? { NODE_OPTIONS: handler.nodeOptions } : {}) };
      const common = { eventFile, env, check };
      const referenceFile = join(reference, handler.entry.replace(/\.ts$/, '.js'));
      return {
        shipped: handler,
        reference: { ...common, name: `${handler.entry} (reference)`, file: referenceFile, samples: noSamples() },
        bundle: { ...common, name: `${handler.entry} (bundle)`, file: handler.file, samples: noSamples() },
      };
    });

    const leverRow = rows.find((row) => row.shipped.entry === LEVER_ENTRY) ?? rows[0];
    if (!leverRow) throw new Error('no handler found');
    const levers = await leverSubjects(leverRow, scratch, handlerEnv);

    const node = await measure(
      [
        ...rows.flatMap((row) => [row.reference, row.bundle]),
        ...levers.levers.map((lever) => lever.subject),
        levers.experiment.reference,
        levers.experiment.bundle,
      ],
      runner,
      baseEnv,
    );

    const lines = coldStartReport({ rows, leverRow, leverSubjects: levers, node });
    writeResultsSection('## Cold start: every handler, bundled against unbundled', lines);
    console.log(lines.join('\n'));
  } finally {
    receiver.close();
    await servers.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

runMain(main);
