import { cpus } from 'node:os';
import { median } from '../results';
import type { LeverSubjects } from './levers';
import { type HandlerRow, type NodeStart, RUNS, type Subject } from './measure';

/** The load and first event of a bundle, at most this share of the reference's. */
const TARGET = 0.5;

export interface Measured {
  readonly rows: readonly HandlerRow[];
  /** The row the levers and the experiment were built on. */
  readonly leverRow: HandlerRow;
  readonly leverSubjects: LeverSubjects;
  readonly node: NodeStart;
}

/** The section of bench/RESULTS.md, as lines: how it was measured, the table, the experiment and the levers. */
export function coldStartReport({ rows, leverRow, leverSubjects, node }: Measured): string[] {
  const { levers, sameAsShipped, experiment } = leverSubjects;
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
  const leverReference = net(leverRow.reference);

  return [
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
    `An experiment on \`${leverRow.shipped.entry}\`, not a lever: the X-Ray SDK (which Powertools' Tracer loads) taken`,
    `out of both sides, as if the platform gave up tracing. The reference goes from ${ms(net(leverRow.reference))} to ${ms(net(experiment.reference))} ms, the`,
    `bundle from ${ms(net(leverRow.bundle))} to ${ms(net(experiment.bundle))} ms: the ratio goes from ${(net(leverRow.bundle) / net(leverRow.reference)).toFixed(2)} to ${(net(experiment.bundle) / net(experiment.reference)).toFixed(2)}.`,
    '',
    `### Levers, on \`${leverRow.shipped.entry}\` (reference: ${ms(leverReference)} ms)`,
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
}
