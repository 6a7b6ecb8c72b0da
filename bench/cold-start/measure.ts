import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from '../results';
import type { Shipped } from './cdk-bundles';
import type { Answer } from './first-events';

/** Fresh Node processes, each loading one handler and answering one event, timed. */

export const RUNS = Number(process.env.COLD_START_RUNS ?? 9);

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

/** Writes the runner into `directory`; returns its path. */
export function writeRunner(directory: string): string {
  const runner = join(directory, 'runner.cjs');
  writeFileSync(runner, RUNNER);
  return runner;
}

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

/** One thing measured: a module the runner loads in fresh processes, with its event, environment and samples. */
export interface Subject {
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
export interface Samples {
  readonly wall: number[];
  readonly cpu: number[];
  readonly load: number[];
  readonly event: number[];
}

export const noSamples = (): Samples => ({ wall: [], cpu: [], load: [], event: [] });

/** One handler of the table, unbundled (the reference) and as the CDK shipped it. */
export interface HandlerRow {
  readonly shipped: Shipped;
  readonly reference: Subject;
  readonly bundle: Subject;
}

/** Node's own start (a near-empty script): the medians of its wall and CPU time, in ms. */
export interface NodeStart {
  readonly wall: number;
  readonly cpu: number;
}

/** Runs every subject RUNS times, interleaved with Node's own start, so that load on the machine hits all alike. */
export async function measure(
  subjects: readonly Subject[],
  runner: string,
  baseEnv: Record<string, string>,
): Promise<NodeStart> {
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
