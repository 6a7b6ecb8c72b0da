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
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { type BuildOptions, build, type Plugin, transformSync } from 'esbuild';
import { API_ROUTES } from '../lambda/api/routes';
import type { VideoRecord } from '../lambda/core/video';
import { webhookEvent } from '../lambda/core/webhook-event';
import { WEBHOOK_ENV, WEBHOOK_SECRET } from '../lambda/notify/environment';
import { PIPELINE_ENV } from '../lambda/transcode/environment';
import { createVodApp } from '../lib/app';
import { CONFIG_CONTEXT_KEY } from '../lib/config';
import { PROJECT_ROOT } from '../lib/constructs/platform-function';
import { proxyEvent } from '../local/api-gateway-event';
import { s3Notification } from '../local/s3-notifications';
import { startLocalServers } from '../test/support/local-servers';
import { median, writeResultsSection } from './results';

const RUNS = Number(process.env.COLD_START_RUNS ?? 9);
const TARGET = 0.5;
const MISSING_ID = 'bench0000000000000000000';

/** Loads a handler module as Lambda's Node.js runtime does (import for .mjs, require otherwise), answers one event, exits. */
const RUNNER = `
const [file, eventFile] = process.argv.slice(2);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
if (!file) { process.stdout.write(JSON.stringify({ cpuMs: cpu() })); process.exit(0); }
(async () => {
  const started = performance.now();
  const mod = file.endsWith('.mjs') ? await import(require('node:url').pathToFileURL(file).href) : require(file);
  const loaded = performance.now();
  const event = JSON.parse(require('node:fs').readFileSync(eventFile, 'utf8'));
  const context = { functionName: 'bench', awsRequestId: '${randomUUID()}', getRemainingTimeInMillis: () => 10000 };
  const result = await mod.handler(event, context);
  const loadMs = loaded - started;
  process.stdout.write(JSON.stringify({ cpuMs: cpu(), loadMs, eventMs: performance.now() - loaded, result }));
  process.exit(0);
})().catch((error) => { console.error(error); process.exit(1); });
`;

interface Shipped {
  /** The entry, relative to the project root, e.g. `lambda/api/get-video.ts`. */
  readonly entry: string;
  /** The staged asset's handler file. */
  readonly file: string;
  /** Bytes of the handler file (the source map beside it is not loaded unless an error is mapped). */
  readonly bytes: number;
  readonly nodeOptions: string | undefined;
  /** What the construct passed to the CDK's bundling, for the levers. */
  readonly bundling: nodejs.BundlingOptions & { readonly runtime: lambda.Runtime };
}

/**
 * Builds the app with bundling on and returns every NodejsFunction's bundle, one per entry. The
 * entries and their bundling options are what the constructs pass to the CDK's bundling, seen by
 * wrapping `Bundling.bundle` (not exported, so it is reached beside `aws-lambda-nodejs`'s index).
 */
function shippedBundles(outdir: string): Shipped[] {
  const bundlingModule = require(join(dirname(require.resolve('aws-cdk-lib/aws-lambda-nodejs')), 'lib', 'bundling'));
  const { Bundling } = bundlingModule as {
    Bundling: { bundle: (scope: unknown, options: Record<string, unknown>) => lambda.AssetCode };
  };
  const original = Bundling.bundle;
  const seen = new Map<unknown, Record<string, unknown>>();
  Bundling.bundle = (scope, options) => {
    const code = original.call(Bundling, scope, options);
    const bind = code.bind.bind(code);
    code.bind = (fn) => {
      seen.set(fn, options);
      return bind(fn);
    };
    return code;
  };
  try {
    const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8'));
    // With a webhook receiver configured, so that the delivery function is deployed too.
    const context = { ...cdkJson.context, [CONFIG_CONTEXT_KEY]: { webhookUrl: 'https://hooks.example.com/vod' } };
    const { app } = createVodApp({ outdir, context });
    const byEntry = new Map<string, Shipped>();
    for (const construct of app.node.findAll()) {
      if (!(construct instanceof nodejs.NodejsFunction)) continue;
      const options = seen.get(construct);
      if (!options) throw new Error(`${construct.node.path}: its bundling was not seen`);
      const entry = relative(PROJECT_ROOT, String(options.entry));
      const asset = join(outdir, (construct.node.findChild('Code') as s3assets.Asset).assetPath);
      const file = ['index.mjs', 'index.js'].map((name) => join(asset, name)).find((path) => existsSync(path));
      if (!file) throw new Error(`${construct.node.path}: no index.mjs or index.js in ${asset}`);
      const cfn = construct.node.defaultChild as lambda.CfnFunction;
      const variables = (cfn.environment as { variables?: Record<string, string> } | undefined)?.variables ?? {};
      byEntry.set(entry, {
        entry,
        file,
        bytes: statSync(file).size,
        nodeOptions: variables.NODE_OPTIONS,
        bundling: options as unknown as Shipped['bundling'],
      });
    }
    return [...byEntry.values()].sort((a, b) => a.entry.localeCompare(b.entry));
  } finally {
    Bundling.bundle = original;
  }
}

/** The reference: every module under lambda/ transpiled on its own to CommonJS, node_modules beside it. */
function transpileReference(into: string): string {
  const root = join(into, 'reference');
  const walk = (folder: string) => {
    for (const item of readdirSync(join(PROJECT_ROOT, folder), { withFileTypes: true })) {
      const path = join(folder, item.name);
      if (item.isDirectory()) walk(path);
      else if (item.name.endsWith('.ts')) {
        const out = join(root, path.replace(/\.ts$/, '.js'));
        mkdirSync(dirname(out), { recursive: true });
        const { code } = transformSync(readFileSync(join(PROJECT_ROOT, path), 'utf8'), {
          loader: 'ts',
          format: 'cjs',
          platform: 'node',
          target: 'node20',
        });
        writeFileSync(out, code);
      } else if (item.name.endsWith('.js')) writeFileSync(join(root, path), readFileSync(join(PROJECT_ROOT, path)));
    }
  };
  walk('lambda');
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  return root;
}

/**
 * esbuild's options for a function's bundling, as the CDK's `Bundling` turns them into command-line
 * flags (aws-lambda-nodejs, `buildEsbuildArgs`), for the bundling props this platform uses.
 */
function esbuildOptions(props: Shipped['bundling'], outdir: string): BuildOptions {
  const esm = props.format === nodejs.OutputFormat.ESM;
  const args = (props.esbuildArgs ?? {}) as Record<string, string>;
  const conditions = args['--conditions'];
  const alias = Object.fromEntries(
    Object.entries(args)
      .filter(([flag]) => flag.startsWith('--alias:'))
      .map(([flag, path]) => [flag.slice('--alias:'.length), join(PROJECT_ROOT, path)]),
  );
  return {
    entryPoints: [join(PROJECT_ROOT, String((props as { entry?: string }).entry))],
    bundle: true,
    target: `node${/nodejs(\d+)/.exec(props.runtime.name)?.[1]}`,
    platform: 'node',
    ...(props.format ? { format: props.format as 'esm' | 'cjs' } : {}),
    outfile: join(outdir, esm ? 'index.mjs' : 'index.js'),
    minify: props.minify ?? false,
    sourcemap: props.sourceMap ?? false,
    sourcesContent: props.sourcesContent ?? true,
    external: props.externalModules ?? ['@aws-sdk/*'],
    keepNames: props.keepNames ?? false,
    ...(props.banner ? { banner: { js: props.banner } } : {}),
    ...(props.mainFields ? { mainFields: props.mainFields } : {}),
    ...(conditions ? { conditions: conditions.split(',') } : {}),
    ...(Object.keys(alias).length > 0 ? { alias } : {}),
    logLevel: 'error',
  };
}

/**
 * Stands in for the X-Ray SDK, for the experiment that takes it out of both sides: any property,
 * call or construction answers itself. Enough for Powertools' Tracer with tracing off, as here.
 */
const XRAY_STUB = `const stub = new Proxy(function () {}, {
  get: (target, key) => (key === 'then' ? undefined : key === Symbol.toPrimitive ? () => '' : stub),
  apply: () => stub,
  construct: () => stub,
});
module.exports = stub;
`;

/** Makes the reference require the stub above instead of the X-Ray SDK (node -r). */
const xrayStubHook = (stubFile: string) => `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'aws-xray-sdk-core' ? ${JSON.stringify(stubFile)} : resolve.call(this, request, ...rest);
};
`;

/**
 * The SDK's generated schema modules key their HTTP bindings by module constants
 * (`{ [_h]: ["GET", "/?lifecycle", 200] }`). esbuild cannot tell such a computed key is a string,
 * so it keeps every operation's and shape's schema, used or not (all of S3's, 136 KiB). With the
 * constants written in as literal keys it drops the unused ones. A plugin, which the CDK's
 * NodejsFunction cannot take: it runs esbuild's command line.
 */
const schemaKeysAsLiterals: Plugin = {
  name: 'schema-keys-as-literals',
  setup(builder) {
    builder.onLoad(
      { filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ },
      (args) => {
        const source = readFileSync(args.path, 'utf8');
        const constants = new Map<string, string>();
        for (const match of source.matchAll(/^const (_\w+) = ("(?:[^"\\]|\\.)*");$/gm))
          constants.set(match[1] as string, match[2] as string);
        return {
          contents: source.replace(/\[(_\w+)\]:/g, (key, name: string) => {
            const literal = constants.get(name);
            return literal === undefined ? key : `${literal}:`;
          }),
          loader: 'js',
        };
      },
    );
  },
};

/** Brings back `import { z } from 'zod'`, which keeps every zod module (all its locales) in a bundle. */
const zodAsNamedImport: Plugin = {
  name: 'zod-named-import',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]lambda[\\/].*\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace("import * as z from 'zod';", "import { z } from 'zod';"),
      loader: 'ts',
    }));
  },
};

interface Run {
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Measured inside the process: importing the module, then answering the event. */
  readonly loadMs: number;
  readonly eventMs: number;
  readonly result: unknown;
}

/** One fresh process: wall time from spawn to exit, and the CPU time it reported. */
function runProcess(args: readonly string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`node ${args.join(' ')} exited ${code}:\n${stderr}`));
      const { cpuMs, loadMs = 0, eventMs = 0, result } = JSON.parse(stdout) as Omit<Run, 'wallMs'>;
      resolve({ wallMs, cpuMs, loadMs, eventMs, result });
    });
  });
}

function videoRecord(): VideoRecord {
  const at = new Date().toISOString();
  return {
    id: MISSING_ID,
    ownerId: 'bench-user',
    title: 'Bench',
    visibility: 'public',
    status: 'READY',
    fileName: 'bench.mp4',
    contentType: 'video/mp4',
    sizeBytes: 1_000_000,
    createdAt: at,
    updatedAt: at,
    upload: { key: `uploads/${MISSING_ID}/source`, uploadId: 'done', partSize: 8_388_608, partCount: 1 },
  } as VideoRecord;
}

const sqsEvent = (body: string) => ({
  Records: [
    {
      messageId: randomUUID(),
      receiptHandle: 'bench-receipt',
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:bench',
      awsRegion: 'eu-west-1',
    },
  ],
});

/** A first event that runs the handler's own code path, and what its answer must look like. */
/** What a handler answers, as far as the bench checks it. */
type Answer = { statusCode?: number; batchItemFailures?: unknown[]; result?: string } | undefined;

function firstEvent(entry: string, uploadBucket: string): { event: unknown; check: (result: Answer) => boolean } {
  const route = API_ROUTES.find((candidate) => entry === `lambda/api/${candidate.handlerFile}.ts`);
  if (route) {
    const bodies: Record<string, unknown> = {
      createVideo: {
        title: 'Bench',
        visibility: 'private',
        fileName: 'bench.mp4',
        contentType: 'video/mp4',
        sizeBytes: 10_000_000,
      },
      updateVideo: { title: 'Bench' },
      completeUpload: { parts: [{ partNumber: 1, etag: '"0"' }] },
    };
    const body = bodies[route.operationId];
    const event = proxyEvent({
      method: route.method,
      resource: route.path,
      path: route.path.replace('{id}', MISSING_ID),
      pathParameters: route.path.includes('{id}') ? { id: MISSING_ID } : undefined,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : null,
      claims: route.auth === 'required' ? { sub: 'bench-user' } : undefined,
    });
    // Creating writes the catalog and starts a multipart upload; listing reads the catalog; every
    // other route answers 404 for a video that does not exist, after reading the catalog.
    const expected = route.operationId === 'createVideo' ? 201 : route.operationId === 'listVideos' ? 200 : 404;
    return { event, check: (result) => result?.statusCode === expected };
  }
  switch (entry) {
    case 'lambda/transcode/submit-jobs.ts':
      // An upload of an unknown video: read from the catalog, then dropped.
      return {
        event: sqsEvent(s3Notification({ bucket: uploadBucket, key: `uploads/${MISSING_ID}/source` })),
        check: (result) => Array.isArray(result?.batchItemFailures) && result.batchItemFailures.length === 0,
      };
    case 'lambda/transcode/job-state-change.ts':
      return {
        event: {
          version: '0',
          id: randomUUID(),
          'detail-type': 'MediaConvert Job State Change',
          source: 'aws.mediaconvert',
          account: '000000000000',
          time: new Date().toISOString(),
          region: 'eu-west-1',
          resources: [],
          detail: {
            timestamp: Date.now(),
            accountId: '000000000000',
            queue: 'arn:aws:mediaconvert:eu-west-1:000000000000:queues/bench',
            jobId: 'bench-job',
            status: 'ERROR',
            userMetadata: { videoId: MISSING_ID, uploadId: 'bench-upload' },
            errorCode: 1010,
            errorMessage: 'bench',
          },
        },
        check: (result) => result?.result === 'dropped',
      };
    case 'lambda/notify/deliver-webhooks.ts':
      // Signed and POSTed to the bench's receiver on loopback.
      return {
        event: sqsEvent(JSON.stringify(webhookEvent('video.ready', videoRecord(), new Date().toISOString()))),
        check: (result) => Array.isArray(result?.batchItemFailures) && result.batchItemFailures.length === 0,
      };
    default:
      throw new Error(`no first event for ${entry}: add one to bench/cold-start.ts`);
  }
}

interface Subject {
  readonly name: string;
  readonly file: string;
  readonly eventFile: string;
  readonly env: Record<string, string>;
  readonly check: (result: Answer) => boolean;
  /** Node's options before the runner, e.g. a `-r` preload. */
  readonly nodeArgs?: readonly string[];
  readonly samples: Samples;
}

/** Per run: wall and CPU time of the process; load and first event as timed inside it. */
interface Samples {
  readonly wall: number[];
  readonly cpu: number[];
  readonly load: number[];
  readonly event: number[];
}

const noSamples = (): Samples => ({ wall: [], cpu: [], load: [], event: [] });

/** Runs every subject RUNS times, interleaved with Node's own start, so that load on the machine hits all alike. */
async function measure(subjects: Subject[], runner: string, baseEnv: Record<string, string>) {
  const empty = { wall: [] as number[], cpu: [] as number[] };
  for (let round = 0; round < RUNS; round++) {
    for (const subject of subjects) {
      const start = await runProcess([runner], {
        ...baseEnv,
        ...(subject.env.NODE_OPTIONS ? { NODE_OPTIONS: subject.env.NODE_OPTIONS } : {}),
      });
      empty.wall.push(start.wallMs);
      empty.cpu.push(start.cpuMs);
      const run = await runProcess([...(subject.nodeArgs ?? []), runner, subject.file, subject.eventFile], subject.env);
      if (!subject.check(run.result as Answer))
        throw new Error(`${subject.name}: unexpected answer ${JSON.stringify(run.result).slice(0, 300)}`);
      if (round === 0) console.log(`${subject.name}: ${JSON.stringify(run.result).slice(0, 100)}`);
      subject.samples.wall.push(run.wallMs);
      subject.samples.cpu.push(run.cpuMs);
      subject.samples.load.push(run.loadMs);
      subject.samples.event.push(run.eventMs);
    }
    process.stdout.write(`round ${round + 1}/${RUNS}\n`);
  }
  return { wall: median(empty.wall), cpu: median(empty.cpu) };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'vod-cold-start-'));
  const servers = await startLocalServers({ POWERTOOLS_LOG_LEVEL: 'CRITICAL' });
  const receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    process.stdout.write('bundling every handler as the CDK app does… ');
    const bundlingStarted = performance.now();
    const shipped = shippedBundles(join(scratch, 'cdk.out'));
    console.log(`${shipped.length} handlers in ${((performance.now() - bundlingStarted) / 1000).toFixed(1)} s`);
    const reference = transpileReference(scratch);
    const runner = join(scratch, 'runner.cjs');
    writeFileSync(runner, RUNNER);

    const webhookQueue = await servers.createQueue('bench-webhooks');
    const baseEnv: Record<string, string> = { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8' };
    const handlerEnv: Record<string, string> = {
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

    const subjects: Subject[] = [];
    const rows: { shipped: Shipped; reference: Subject; bundle: Subject }[] = [];
    for (const [index, handler] of shipped.entries()) {
      const { event, check } = firstEvent(handler.entry, servers.uploadBucket);
      const eventFile = join(scratch, `event-${index}.json`);
      writeFileSync(eventFile, JSON.stringify(event));
      const env = { ...handlerEnv, ...(handler.nodeOptions ? { NODE_OPTIONS: handler.nodeOptions } : {}) };
      const common = { eventFile, env, check };
      const referenceFile = join(reference, handler.entry.replace(/\.ts$/, '.js'));
      const row = {
        shipped: handler,
        reference: { ...common, name: `${handler.entry} (reference)`, file: referenceFile, samples: noSamples() },
        bundle: { ...common, name: `${handler.entry} (bundle)`, file: handler.file, samples: noSamples() },
      };
      rows.push(row);
      subjects.push(row.reference, row.bundle);
    }

    // Levers, on the handler the issue measured (DynamoDB and S3 at load): each a bundle of its own.
    const leverHandler = shipped.find((handler) => handler.entry === 'lambda/api/create-video.ts') ?? shipped[0];
    if (!leverHandler) throw new Error('no handler found');
    const leverRow = rows.find((row) => row.shipped === leverHandler);
    const levers: { name: string; bytes: number; subject: Subject }[] = [];
    const addLever = async (name: string, options: BuildOptions, nodeOptions = leverHandler.nodeOptions) => {
      const outdir = join(scratch, `lever-${levers.length}`);
      const built = { ...options, outfile: join(outdir, (options.outfile ?? '').split(/[\\/]/).pop() ?? 'index.js') };
      await build(built);
      const file = built.outfile;
      const env = { ...handlerEnv, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) };
      const subject: Subject = {
        name,
        file,
        eventFile: leverRow?.bundle.eventFile ?? '',
        env,
        check: leverRow?.bundle.check ?? (() => true),
        samples: noSamples(),
      };
      levers.push({ name, bytes: statSync(file).size, subject });
      subjects.push(subject);
    };
    const shippedOptions = esbuildOptions({ ...leverHandler.bundling, entry: leverHandler.entry } as never, scratch);
    const cjs: BuildOptions = { ...shippedOptions, outfile: 'index.js' };
    delete cjs.format;
    delete cjs.mainFields;
    delete cjs.banner;
    // Each lever alone, then all of them: the previous bundling was CommonJS with `import { z }`,
    // the SDK's default credential chain and NODE_OPTIONS=--enable-source-maps.
    const maps = '--enable-source-maps';
    await addLever(
      'CommonJS, `import { z }`, the whole credential chain, source maps on (before)',
      { ...cjs, alias: undefined, plugins: [zodAsNamedImport] },
      maps,
    );
    await addLever('CommonJS, `import { z }`', { ...cjs, plugins: [zodAsNamedImport] }, '');
    await addLever('CommonJS', cjs, '');
    await addLever('ES module, `import { z }`', { ...shippedOptions, plugins: [zodAsNamedImport] }, '');
    await addLever('ES module, source maps on', shippedOptions, maps);
    await addLever('ES module, no source map in the bundle', { ...shippedOptions, sourcemap: false }, '');
    await addLever("ES module, the SDK's whole default credential chain", { ...shippedOptions, alias: undefined });
    await addLever("ES module, the SDK's schema keys as literals (an esbuild plugin)", {
      ...shippedOptions,
      plugins: [schemaKeysAsLiterals],
    });
    await addLever('ES module (as shipped)', shippedOptions);
    const rebuilt = levers[levers.length - 1];
    const sameAsShipped =
      rebuilt !== undefined && readFileSync(rebuilt.subject.file).equals(readFileSync(leverHandler.file));

    // An experiment, not a lever: the X-Ray SDK (loaded by Powertools' Tracer) taken out of both sides.
    const xrayStub = join(scratch, 'xray-stub.cjs');
    writeFileSync(xrayStub, XRAY_STUB);
    const xrayHook = join(scratch, 'xray-stub-hook.cjs');
    writeFileSync(xrayHook, xrayStubHook(xrayStub));
    const withoutXray = join(scratch, 'without-xray', 'index.mjs');
    await build({
      ...shippedOptions,
      outfile: withoutXray,
      alias: { ...shippedOptions.alias, 'aws-xray-sdk-core': xrayStub },
    });
    const experiment = leverRow && {
      reference: {
        ...leverRow.reference,
        name: 'reference without X-Ray',
        nodeArgs: ['-r', xrayHook],
        samples: noSamples(),
      },
      bundle: { ...leverRow.bundle, name: 'bundle without X-Ray', file: withoutXray, samples: noSamples() },
    };
    if (experiment) subjects.push(experiment.reference, experiment.bundle);

    const node = await measure(subjects, runner, baseEnv);

    const kib = (bytes: number) => (bytes / 1024).toFixed(0);
    const ms = (value: number) => value.toFixed(0);
    const net = (subject: Subject) => median(subject.samples.wall) - node.wall;
    const netCpu = (subject: Subject) => median(subject.samples.cpu) - node.cpu;
    const table = rows.map(({ shipped: handler, reference: ref, bundle }) => ({
      entry: handler.entry,
      kib: kib(handler.bytes),
      reference: net(ref),
      bundle: net(bundle),
      ratio: net(bundle) / net(ref),
      cpuRatio: netCpu(bundle) / netCpu(ref),
      loadRatio: median(bundle.samples.load) / median(ref.samples.load),
      eventRatio: median(bundle.samples.event) / median(ref.samples.event),
    }));
    const met = table.filter((row) => row.ratio <= TARGET).length;
    const worst = Math.max(...table.map((row) => row.ratio));
    const leverReference = leverRow ? net(leverRow.reference) : Number.NaN;

    const lines = [
      '',
      'Reproduce with `npm run bench:cold-start` (writes this section). Every handler the app deploys,',
      'bundled by the CDK exactly as `cdk synth` bundles it; each measured in fresh Node processes',
      '(load the module, answer one real event against local servers on loopback, exit), with the',
      "function's own NODE_OPTIONS. The reference is the same handler unbundled: each module",
      'transpiled on its own to CommonJS, `@aws-sdk/*` and every other package required from',
      "node_modules. Node's own start (a near-empty script, measured in the same loop) is subtracted.",
      `Medians of ${RUNS} runs, interleaved; wall time, and the processes' CPU time as a check on a shared machine.`,
      '',
      `Run: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores. Node's own start: ${ms(node.wall)} ms wall, ${ms(node.cpu)} ms CPU.`,
      '',
      '| handler | bundle (KiB) | reference (ms) | bundle (ms) | bundle / reference | CPU time, bundle / reference | load alone, bundle / reference | first event alone, bundle / reference |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...table.map(
        (row) =>
          `| \`${row.entry}\` | ${row.kib} | ${ms(row.reference)} | ${ms(row.bundle)} | ${row.ratio.toFixed(2)} | ${row.cpuRatio.toFixed(2)} | ${row.loadRatio.toFixed(2)} | ${row.eventRatio.toFixed(2)} |`,
      ),
      '',
      met === table.length
        ? `Target (load and first event at most ${TARGET} of the reference's): met by all ${table.length} handlers; the highest ratio is ${worst.toFixed(2)}.`
        : `Target (load and first event at most ${TARGET} of the reference's): met by ${met} of ${table.length} handlers; the highest ratio is ${worst.toFixed(2)}.`,
      '',
      'What is left is V8 compiling the bundle, and the work both sides do alike: evaluating what every',
      'handler needs at load (the SDK clients, Powertools with the X-Ray SDK, ioredis, zod) and running the',
      "first event through it (the SDK's middleware and signing, the HTTP client, zod, ioredis). The last two",
      'columns split each run where the module has been imported: bundling shrinks the load, while the first',
      'event runs the same code on both sides. Taking away work that both sides do alike lowers the ratio',
      "only if it saves the bundle more than half of what it saves the reference. The SDK's credentials come",
      "from the environment alone, where Lambda puts the role's (`lambda/adapters/lambda-credentials.ts`).",
      'Importing the adapters only some requests need (S3, SQS, Secrets Manager, MediaConvert) on first use',
      'was tried and not kept: the bundles got no faster, the reference did (it then never requires those',
      'clients), and every ratio rose.',
      '',
      ...(experiment && leverRow
        ? [
            `An experiment on \`${leverHandler.entry}\`, not a lever: the X-Ray SDK (which Powertools' Tracer loads) taken`,
            `out of both sides, as if the platform gave up tracing. The reference goes from ${ms(net(leverRow.reference))} to ${ms(net(experiment.reference))} ms, the`,
            `bundle from ${ms(net(leverRow.bundle))} to ${ms(net(experiment.bundle))} ms: the ratio goes from ${(net(leverRow.bundle) / net(leverRow.reference)).toFixed(2)} to ${(net(experiment.bundle) / net(experiment.reference)).toFixed(2)}.`,
            '',
          ]
        : []),
      `### Levers, on \`${leverHandler.entry}\` (reference: ${ms(leverReference)} ms)`,
      '',
      `Each a bundle of its own, built with esbuild from the same options as the CDK's (the rebuilt`,
      `shipped bundle is ${sameAsShipped ? 'byte for byte' : 'NOT byte for byte'} the CDK's), measured in the same loop.`,
      '',
      '| bundle (NODE_OPTIONS as the function sets them unless said) | size (KiB) | load and first event (ms) | / reference |',
      '| --- | --- | --- | --- |',
      ...levers.map(
        (lever) =>
          `| ${lever.name} | ${kib(lever.bytes)} | ${ms(net(lever.subject))} | ${(net(lever.subject) / leverReference).toFixed(2)} |`,
      ),
      '',
    ];
    writeResultsSection('## Cold start: every handler, bundled against unbundled', lines);
    console.log(lines.join('\n'));
  } finally {
    receiver.close();
    await servers.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
