/**
 * The twin's API under load from autocannon on loopback: `GET /videos/{id}` served from the cache
 * (hot) and from DynamoDB (cold, every request a different video after the cache is emptied),
 * then a burst over the deployed per-IP rate limit.
 *
 * Run with `npm run bench:api-load`; writes its section of bench/RESULTS.md. Every number comes
 * from this one run on this machine; the load generator and the twin share its 2 cores, so
 * the ratios mean more than the absolute figures.
 */
import { cpus } from 'node:os';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { api, signIn, startTwinProcess, type TwinProcess } from '../local/harness/twin-process';
import { median, writeResultsSection } from './results';
import { runMain } from './run-main';

/** Distinct videos: each cold run asks for every one of them exactly once. */
const VIDEOS = 3_000;
/** Requests in each hot run: enough for its throughput to be timed to a few percent. */
const HOT_REQUESTS = 10_000;
const ROUNDS = 3;
const CONNECTIONS = 16;
/** Every run stops after this long even if its requests are not all sent. */
const RUN_LIMIT_SECONDS = 60;
/** Above the rate limit: the deployed 1000 requests per IP in 5 minutes, and half as many again. */
const BURST = 1_500;

interface RunFigures {
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly statuses: Readonly<Record<string, number>>;
  /** Socket errors and timeouts, and every answer other than 200. */
  readonly errors: number;
}

/** Sends `amount` GETs, `CONNECTIONS` at a time, to the paths `pathOf(i)` gives. */
async function load(twin: TwinProcess, token: string, amount: number, pathOf: (i: number) => string) {
  let sent = 0;
  const started = performance.now();
  let lastAnswerAt = started;
  // Without a callback autocannon answers its instance, which is also a promise of the result;
  // its types give only the promise.
  const run = autocannon({
    url: twin.apiUrl,
    connections: CONNECTIONS,
    amount,
    duration: RUN_LIMIT_SECONDS,
    headers: { authorization: `Bearer ${token}` },
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: pathOf(sent++) }) }],
  }) as unknown as autocannon.Instance & Promise<autocannon.Result>;
  run.on('response', () => {
    lastAnswerAt = performance.now();
  });
  const result = await run;
  const statuses = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, (stats as { count: number }).count]),
  );
  const ok = statuses['200'] ?? 0;
  const answered = Object.values(statuses).reduce((sum, count) => sum + count, 0);
  // autocannon reports its duration in whole seconds, and ends on its one-second tick: the time of
  // the last answer is the finer measure.
  const seconds = (lastAnswerAt - started) / 1000;
  return {
    requests: answered,
    seconds,
    perSecond: answered / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statuses,
    errors: result.errors + result.timeouts + (answered - ok),
  } satisfies RunFigures;
}

/** The twin's Valkey, from the endpoints it prints at start. */
function valkeyOf(twin: TwinProcess): Redis {
  const match = /Valkey\s+127\.0\.0\.1:(\d+)/.exec(twin.output());
  if (!match) throw new Error(`the twin did not print its Valkey endpoint:\n${twin.output()}`);
  return new Redis({ host: '127.0.0.1', port: Number(match[1]), maxRetriesPerRequest: 1 });
}

async function createVideos(twin: TwinProcess, token: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  const createOne = async (i: number) => {
    const { status, body } = await api(twin.apiUrl, 'POST', '/videos', {
      token,
      body: {
        title: `Video ${i}`,
        visibility: 'private',
        fileName: 'clip.mp4',
        contentType: 'video/mp4',
        sizeBytes: 1024,
      },
    });
    if (status !== 201) throw new Error(`POST /videos answered ${status}: ${JSON.stringify(body)}`);
    ids.push(body.video.id as string);
  };
  for (let start = 0; start < count; start += 8) {
    await Promise.all(Array.from({ length: Math.min(8, count - start) }, (_, k) => createOne(start + k)));
  }
  return ids;
}

async function belowTheLimit() {
  // The rate rules raised out of the way for this run only: they are measured separately below.
  const twin = await startTwinProcess({
    env: { TWIN_SETTINGS: JSON.stringify({ apiRateLimit: 1_000_000_000, uploadCreationRateLimit: 1_000_000_000 }) },
  });
  const valkey = valkeyOf(twin);
  try {
    const token = await signIn(twin.apiUrl, 'load-tester');
    const ids = await createVideos(twin, token, VIDEOS);
    const hotId = ids[0] as string;
    const hot: RunFigures[] = [];
    const cold: RunFigures[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Cold: an empty cache, and no video asked for twice, so every read goes to DynamoDB.
      await valkey.flushall();
      cold.push(await load(twin, token, VIDEOS, (i) => `/videos/${ids[i % ids.length]}`));
      // Hot: one video, in the cache after its first read.
      await api(twin.apiUrl, 'GET', `/videos/${hotId}`, { token });
      hot.push(await load(twin, token, HOT_REQUESTS, () => `/videos/${hotId}`));
    }
    return { hot, cold };
  } finally {
    valkey.disconnect();
    await twin.dispose();
  }
}

async function aboveTheLimit() {
  const twin = await startTwinProcess();
  try {
    const token = await signIn(twin.apiUrl, 'burst-tester');
    const created = await api(twin.apiUrl, 'POST', '/videos', {
      token,
      body: { title: 'Burst', visibility: 'private', fileName: 'clip.mp4', contentType: 'video/mp4', sizeBytes: 1024 },
    });
    if (created.status !== 201) throw new Error(`POST /videos answered ${created.status}`);
    const id = created.body.video.id as string;
    return await load(twin, token, BURST, () => `/videos/${id}`);
  } finally {
    await twin.dispose();
  }
}

const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
const ms = (value: number) => value.toFixed(1);

async function main(): Promise<void> {
  const { hot, cold } = await belowTheLimit();
  const burst = await aboveTheLimit();

  const summary = (runs: readonly RunFigures[]) => ({
    perSecond: median(runs.map((run) => run.perSecond)),
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    requests: runs.reduce((sum, run) => sum + run.requests, 0),
  });
  const hotSummary = summary(hot);
  const coldSummary = summary(cold);
  const limited = burst.statuses['429'] ?? 0;
  const served = burst.statuses['200'] ?? 0;
  const otherStatuses = Object.entries(burst.statuses).filter(([code]) => code !== '200' && code !== '429');

  const lines = [
    '',
    'Reproduce with `npm run bench:api-load` (writes this section). The twin is started as the README',
    `starts it; autocannon sends \`GET /videos/{id}\` on loopback, ${CONNECTIONS} connections, with one`,
    "user's token. The load generator and the twin share the machine's cores.",
    '',
    `Run: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores.`,
    '',
    `### Below the rate limit (limits raised for this run; ${ROUNDS} rounds, medians)`,
    '',
    `Cold: the cache emptied, then each of the user's ${VIDEOS.toLocaleString('en')} videos read once (every read a miss that`,
    `goes to DynamoDB and fills the cache). Hot: one video, read from the cache, ${HOT_REQUESTS.toLocaleString('en')} times.`,
    '',
    row(['path', 'requests/s', 'p50 (ms)', 'p99 (ms)', 'errors (all rounds)']),
    row(['---', '---', '---', '---', '---']),
    row([
      'hot',
      hotSummary.perSecond.toFixed(0),
      ms(hotSummary.p50),
      ms(hotSummary.p99),
      `${hotSummary.errors} of ${hotSummary.requests}`,
    ]),
    row([
      'cold',
      coldSummary.perSecond.toFixed(0),
      ms(coldSummary.p50),
      ms(coldSummary.p99),
      `${coldSummary.errors} of ${coldSummary.requests}`,
    ]),
    row([
      'hot / cold',
      `${(hotSummary.perSecond / coldSummary.perSecond).toFixed(2)}× the throughput`,
      `${(coldSummary.p50 / hotSummary.p50).toFixed(2)}× faster`,
      `${(coldSummary.p99 / hotSummary.p99).toFixed(2)}× faster`,
      '',
    ]),
    '',
    'Per round:',
    '',
    row(['round', 'hot requests/s', 'hot p50 / p99 (ms)', 'cold requests/s', 'cold p50 / p99 (ms)']),
    row(['---', '---', '---', '---', '---']),
    ...hot.map((run, i) => {
      const coldRun = cold[i] as RunFigures;
      return row([
        i + 1,
        run.perSecond.toFixed(0),
        `${ms(run.p50)} / ${ms(run.p99)}`,
        coldRun.perSecond.toFixed(0),
        `${ms(coldRun.p50)} / ${ms(coldRun.p99)}`,
      ]);
    }),
    '',
    `### Above the rate limit (deployed settings: 1000 requests per IP in 5 minutes; ${BURST} requests)`,
    '',
    row(['200', '429', 'other answers', 'socket errors', 'p50 (ms)', 'p99 (ms)']),
    row(['---', '---', '---', '---', '---', '---']),
    row([
      served,
      limited,
      otherStatuses.length === 0 ? 0 : otherStatuses.map(([code, count]) => `${count} × ${code}`).join(', '),
      burst.errors - (burst.requests - served),
      ms(burst.p50),
      ms(burst.p99),
    ]),
    '',
    `The burst took ${burst.seconds.toFixed(2)} s. The rule is a bucket of 1000 that refills at 1000 per 300 s`,
    `(${(1000 / 300).toFixed(2)} a second), so at most ${Math.floor(1000 + (burst.seconds * 1000) / 300)} requests could pass, the sign-in and the one video`,
    'created before the burst included.',
    '',
    `Targets: 0 errors below the limit (measured: ${hotSummary.errors + coldSummary.errors}); above it, 429 for`,
    `whatever exceeds the budget and no other answer (measured: ${limited} × 429, ${otherStatuses.length} other`,
    'kinds of answer).',
  ];
  writeResultsSection('## API under load: `GET /videos/{id}`', lines);
  process.stdout.write(`${lines.join('\n')}\n`);
}

runMain(main);
