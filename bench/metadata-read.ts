/**
 * Metadata-read benchmark: the GET /videos/{id} handler, invoked in-process against a local
 * redis-server (for Valkey) and dynalite (for DynamoDB).
 *
 *   npm run bench:metadata
 *
 * 1. Cache miss against cache hit, in the same run, over the same videos: p50 and p99.
 * 2. A Zipf(1.1) workload over 100,000 videos: the cache's hit ratio in steady state.
 *
 * Writes bench/RESULTS.md. Every number comes from this one run on this machine.
 */
import { cpus } from 'node:os';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import Redis from 'ioredis';
import type { VideoRecord } from '../lambda/core/video';
import { proxyEvent } from '../local/api-gateway-event';
import { startLocalServers } from '../local/harness/local-servers';
import { seededRandom } from '../local/harness/seeded-random';
import { writeResultsSection } from './results';
import { runMain } from './run-main';

const VIDEOS = 100_000;
const ZIPF_EXPONENT = 1.1;
const LATENCY_SAMPLES = 2_000;
/** Requests whose distinct ids warm the cache: the state the cache is in after that many requests. */
const WARM_UP_REQUESTS = 3_000_000;
const MEASURED_REQUESTS = 500_000;
const CONCURRENCY = 16;
const SEED = 20261124;

/** Draws ranks 0..n-1 with P(rank k) proportional to 1/(k+1)^s. */
function zipf(n: number, s: number, next: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += 1 / (k + 1) ** s;
    cdf[k] = total;
  }
  return () => {
    const target = next() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cdf[middle] ?? 0) < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

const videoId = (rank: number): string => `bench-${rank.toString(36).padStart(4, '0')}`;

function record(rank: number): VideoRecord {
  const id = videoId(rank);
  const at = new Date(Date.UTC(2026, 0, 1) + rank * 1000).toISOString();
  return {
    id,
    ownerId: `owner-${rank % 1000}`,
    title: `Video ${rank}`,
    description: 'A benchmark video with a description of ordinary length. '.repeat(4),
    visibility: 'public',
    status: 'READY',
    fileName: `video-${rank}.mp4`,
    contentType: 'video/mp4',
    sizeBytes: 123_456_789,
    createdAt: at,
    updatedAt: at,
    upload: { key: `uploads/${id}/source`, uploadId: 'done', partSize: 8_388_608, partCount: 15 },
    durationSeconds: 600,
    renditions: [
      { width: 640, height: 360, bitrateKbps: 800 },
      { width: 1280, height: 720, bitrateKbps: 2500 },
      { width: 1920, height: 1080, bitrateKbps: 5000 },
    ],
    outputs: { hls: `v/${id}/hls/master.m3u8`, mp4: `v/${id}/mp4/720p.mp4`, thumbnail: `v/${id}/thumbs/poster.jpg` },
  };
}

async function main(): Promise<void> {
  const servers = await startLocalServers({ POWERTOOLS_LOG_LEVEL: 'CRITICAL' });
  Object.assign(process.env, servers.env);
  const { handler } = (await import('../lambda/api/get-video')) as {
    handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  };
  const { sharedRuntime } = await import('../lambda/api/runtime');
  const redis = new Redis(Number(servers.env.CACHE_ENDPOINT?.split(':')[1]), '127.0.0.1');
  let hits = 0;
  let misses = 0;
  // Count the cache's outcomes through the same hook that feeds the CacheHit/CacheMiss metrics.
  const metrics = sharedRuntime().metrics;
  const addMetric = metrics.addMetric.bind(metrics);
  metrics.addMetric = (name, unit, value, resolution) => {
    if (name === 'CacheHit') hits++;
    if (name === 'CacheMiss') misses++;
    return addMetric(name, unit, value, resolution);
  };

  process.stdout.write(`seeding ${VIDEOS} videos into dynalite… `);
  const seedStart = Date.now();
  const batches: VideoRecord[][] = [];
  for (let rank = 0; rank < VIDEOS; rank += 25)
    batches.push(Array.from({ length: Math.min(25, VIDEOS - rank) }, (_, i) => record(rank + i)));
  await runConcurrently(batches, 8, async (batch) => {
    await servers.dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [servers.tableName]: batch.map((item) => ({
            PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) },
          })),
        },
      }),
    );
  });
  console.log(`${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

  const read = async (rank: number): Promise<number> => {
    const id = videoId(rank);
    const event = proxyEvent({
      method: 'GET',
      resource: '/videos/{id}',
      path: `/videos/${id}`,
      pathParameters: { id },
    });
    const start = process.hrtime.bigint();
    const response = await handler(event);
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (response.statusCode !== 200) throw new Error(`GET ${id}: ${response.statusCode} ${response.body}`);
    return elapsed;
  };

  // 1. Miss against hit, same videos, sequential so each latency is one request's own.
  const sample = Array.from({ length: LATENCY_SAMPLES }, (_, i) => (i * 37) % VIDEOS);
  for (let i = 0; i < 200; i++) await read(sample[i] ?? 0); // JIT and connection warm-up
  await redis.flushdb();
  const missLatencies: number[] = [];
  for (const rank of sample) missLatencies.push(await read(rank));
  const missCount = misses;
  const hitLatencies: number[] = [];
  for (const rank of sample) hitLatencies.push(await read(rank));
  if (missCount < LATENCY_SAMPLES) throw new Error(`expected ${LATENCY_SAMPLES} misses, saw ${missCount}`);
  missLatencies.sort((a, b) => a - b);
  hitLatencies.sort((a, b) => a - b);

  // 2. Zipf(1.1) over 100,000 videos. The cache's state after WARM_UP_REQUESTS requests is the
  // set of distinct videos they asked for (nothing expires within a run: the TTL is 300 s), so
  // the warm-up reads each of those once; then MEASURED_REQUESTS more requests are counted.
  await redis.flushdb();
  const draw = zipf(VIDEOS, ZIPF_EXPONENT, seededRandom(SEED));
  const warm = new Set<number>();
  for (let i = 0; i < WARM_UP_REQUESTS; i++) warm.add(draw());
  await runConcurrently([...warm], CONCURRENCY, read);
  hits = 0;
  misses = 0;
  const zipfStart = Date.now();
  const measured = Array.from({ length: MEASURED_REQUESTS }, draw);
  const zipfLatencies: number[] = [];
  await runConcurrently(measured, CONCURRENCY, async (rank) => {
    zipfLatencies.push(await read(rank));
  });
  const zipfSeconds = (Date.now() - zipfStart) / 1000;
  const hitRatio = hits / (hits + misses);

  const fmt = (ms: number) => ms.toFixed(3);
  const hitP50 = percentile(hitLatencies, 50);
  const hitP99 = percentile(hitLatencies, 99);
  const missP50 = percentile(missLatencies, 50);
  const missP99 = percentile(missLatencies, 99);
  const lines = [
    '',
    'Reproduce with `npm run bench:metadata` (writes this section). The handler runs in-process against a',
    'local `redis-server` (for Valkey) and dynalite (for DynamoDB) on loopback; the numbers are ratios',
    'taken in one run on one machine, not a promise about AWS latencies.',
    '',
    `Run: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores.`,
    '',
    `### Cache hit against cache miss (${LATENCY_SAMPLES} videos, one request at a time)`,
    '',
    '| path | p50 (ms) | p99 (ms) |',
    '| --- | --- | --- |',
    `| hit | ${fmt(hitP50)} | ${fmt(hitP99)} |`,
    `| miss | ${fmt(missP50)} | ${fmt(missP99)} |`,
    `| miss / hit | ${(missP50 / hitP50).toFixed(1)}× | ${(missP99 / hitP99).toFixed(1)}× |`,
    '',
    `### Zipf(${ZIPF_EXPONENT}) over ${VIDEOS.toLocaleString('en')} videos`,
    '',
    `Cache warmed by the distinct videos of ${WARM_UP_REQUESTS.toLocaleString('en')} requests (${warm.size.toLocaleString('en')} videos),`,
    `then ${MEASURED_REQUESTS.toLocaleString('en')} requests, ${CONCURRENCY} in flight, in ${zipfSeconds.toFixed(1)} s.`,
    '',
    '| hit ratio | hits | misses | p50 (ms) | p99 (ms) |',
    '| --- | --- | --- | --- | --- |',
    `| ${(hitRatio * 100).toFixed(2)} % | ${hits} | ${misses} | ${fmt(
      percentile(
        zipfLatencies.sort((a, b) => a - b),
        50,
      ),
    )} | ${fmt(percentile(zipfLatencies, 99))} |`,
    '',
    'The steady state holds while entries outlive the gap between requests for them: with the default',
    '300 s TTL, a video asked for less than once in 5 minutes misses each time. Writes replace entries',
    'rather than waiting for the TTL (which bounds staleness only when a cache write fails), so a',
    'longer `metadataCacheTtlSeconds` raises the ratio.',
    '',
  ];
  writeResultsSection('## Metadata read: `GET /videos/{id}`', lines);
  console.log(lines.join('\n'));

  redis.disconnect();
  sharedRuntime().cache.disconnect();
  await servers.stop();
}

async function runConcurrently<T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

runMain(main);
