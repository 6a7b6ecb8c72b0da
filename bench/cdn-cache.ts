/**
 * What the edge cache saves the origin: 100 viewers, each with a playback token of their own,
 * play the same HLS rendition (master playlist, media playlist, every segment) through the twin's
 * edge, concurrently in waves, once with the cache on as CloudFront runs it and once with it off.
 *
 * Run with `npm run bench:cdn-cache`; writes its section of bench/RESULTS.md. The edge runs on
 * loopback against s3rver and redis-server, the rendition is made by ffmpeg with the default
 * ladder's 540p settings, and origin requests are counted at the edge's S3 client, so both runs
 * are measured the same way.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import Redis from 'ioredis';
import { mintPlaybackToken, playbackPath, type SigningKey } from '../lambda/core/playback-token';
import { DEFAULT_LADDER } from '../lambda/core/rendition-ladder';
import { DEFAULT_CONFIG } from '../lib/config';
import type { EdgeServer } from '../local/edge-server';
import { startTestEdge } from '../local/harness/edge';
import { type LocalServers, startLocalServers } from '../local/harness/local-servers';
import { writeResultsSection } from './results';
import { runMain } from './run-main';

const VIEWERS = 100;
const WAVES = 4;
const CLIP_SECONDS = 60;
const VIDEO = 'vid_bench_cdn';
const KEY: SigningKey = { keyId: 'bench1', secret: 'bench-cdn-cache-secret-bench-cdn-cache-0123' };
const RUNG = DEFAULT_LADDER.rungs.find((rung) => rung.shortSide === 540) ?? DEFAULT_LADDER.rungs[0];
const HLS = `v/${VIDEO}/hls`;

const run = promisify(execFile);

/** One 540p rendition as the transcoder names it, and a master playlist over it, written to S3. */
async function publishRendition(servers: LocalServers): Promise<{ segments: number; bytes: number }> {
  const directory = mkdtempSync(join(tmpdir(), 'vod-bench-cdn-'));
  try {
    const rate = `${RUNG?.maxBitrateKbps ?? 1800}k`;
    const fps = 24;
    await run('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', `testsrc2=size=960x540:rate=${fps}:duration=${CLIP_SECONDS}`],
      ...['-f', 'lavfi', '-i', `sine=frequency=440:duration=${CLIP_SECONDS}`],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
      // Constant bitrate at the rung's ceiling, so segments weigh what a busy picture would.
      ...['-b:v', rate, '-minrate', rate, '-maxrate', rate, '-bufsize', rate, '-x264-params', 'nal-hrd=cbr'],
      ...['-g', String(DEFAULT_LADDER.gopSeconds * fps), '-sc_threshold', '0'],
      ...['-c:a', 'aac', '-b:a', `${DEFAULT_LADDER.audio.bitrateKbps}k`, '-shortest'],
      ...['-f', 'hls', '-hls_time', String(DEFAULT_LADDER.segmentSeconds), '-hls_playlist_type', 'vod'],
      ...['-start_number', '1', '-hls_segment_filename', join(directory, 'master_540p_%05d.ts')],
      join(directory, 'master_540p.m3u8'),
    ]);
    writeFileSync(
      join(directory, 'master.m3u8'),
      '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=960x540,CODECS="avc1.42c01f,mp4a.40.2"\nmaster_540p.m3u8\n',
    );
    let bytes = 0;
    const files = readdirSync(directory);
    for (const file of files) {
      const body = readFileSync(join(directory, file));
      if (file.endsWith('.ts')) bytes += body.length;
      const type = file.endsWith('.ts') ? 'video/MP2T' : 'application/vnd.apple.mpegurl';
      await servers.s3.send(
        new PutObjectCommand({ Bucket: servers.mediaBucket, Key: `${HLS}/${file}`, Body: body, ContentType: type }),
      );
    }
    return { segments: files.filter((file) => file.endsWith('.ts')).length, bytes };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Origin requests as the edge's S3 client makes them: GetObject (bodies) and HeadObject, per key. */
class OriginCounter {
  gets = new Map<string, number>();
  heads = 0;
  bytes = 0;

  install(servers: LocalServers): void {
    servers.s3.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const key = (args.input as { Key?: string }).Key ?? '';
        if (context.commandName === 'GetObjectCommand') {
          this.gets.set(key, (this.gets.get(key) ?? 0) + 1);
          this.bytes += (result.output as { ContentLength?: number }).ContentLength ?? 0;
        } else if (context.commandName === 'HeadObjectCommand') this.heads++;
        return result;
      },
      { step: 'initialize', name: 'countOriginRequests' },
    );
  }

  reset(): void {
    this.gets = new Map();
    this.heads = 0;
    this.bytes = 0;
  }
}

interface Fetched {
  readonly status: number;
  readonly xCache: string;
  readonly body: Buffer;
  readonly ms: number;
}

/** A GET through the viewer's own connection, as a player's HTTP stack makes it. */
function get(agent: Agent, edge: EdgeServer, path: string): Promise<Fetched> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: '127.0.0.1', port: edge.port, path, agent, headers: { 'Accept-Encoding': 'gzip, deflate, br' } },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            xCache: String(incoming.headers['x-cache']),
            body: Buffer.concat(chunks),
            ms: performance.now() - started,
          }),
        );
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

interface Tally {
  requests: number;
  bytesServed: number;
  outcomes: Map<string, number>;
  segmentMs: number[];
}

/**
 * One viewer: its own token (as the playback API mints one per request) and its own loopback
 * address (the web ACL's rate rule counts per IP), then the master playlist, the media playlist
 * and every segment in order, as a player does.
 */
async function watch(edge: EdgeServer, viewer: number, tally: Tally): Promise<void> {
  const token = mintPlaybackToken(KEY, VIDEO, Math.floor(Date.now() / 1000) + 3600 + viewer);
  const agent = new Agent({ keepAlive: true, localAddress: `127.0.${Math.floor(viewer / 250)}.${(viewer % 250) + 2}` });
  const fetchFile = async (file: string): Promise<Fetched> => {
    const answer = await get(agent, edge, playbackPath(token, VIDEO, `hls/${file}`));
    if (answer.status !== 200) throw new Error(`viewer ${viewer}: ${file} answered ${answer.status}`);
    tally.requests++;
    tally.bytesServed += answer.body.length;
    tally.outcomes.set(answer.xCache, (tally.outcomes.get(answer.xCache) ?? 0) + 1);
    return answer;
  };
  try {
    const lines = (text: string) => text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    const master = await fetchFile('master.m3u8');
    const text = (answer: Fetched) =>
      (answer.body[0] === 0x1f && answer.body[1] === 0x8b ? gunzipSync(answer.body) : answer.body).toString();
    for (const variant of lines(text(master))) {
      const media = await fetchFile(variant);
      for (const segment of lines(text(media))) tally.segmentMs.push((await fetchFile(segment)).ms);
    }
  } finally {
    agent.destroy();
  }
}

interface RunResult {
  readonly seconds: number;
  readonly tally: Tally;
  readonly segmentGets: number[];
  readonly manifestGets: number;
  readonly heads: number;
  readonly originBytes: number;
}

async function playAll(
  servers: LocalServers,
  redis: Redis,
  counter: OriginCounter,
  cache: boolean,
): Promise<RunResult> {
  // The deployed rate rule and TTLs.
  const edge = await startTestEdge(servers, redis, KEY, {
    rateRule: {
      name: `CdnRateLimitPerIp-bench-${cache ? 'on' : 'off'}-${Date.now()}`,
      limit: DEFAULT_CONFIG.cdnRateLimit,
      windowSeconds: DEFAULT_CONFIG.rateWindowSeconds,
    },
    ...(cache ? {} : { cache: false as const }),
  });
  counter.reset();
  const tally: Tally = { requests: 0, bytesServed: 0, outcomes: new Map(), segmentMs: [] };
  const started = performance.now();
  try {
    const perWave = VIEWERS / WAVES;
    for (let wave = 0; wave < WAVES; wave++) {
      await Promise.all(Array.from({ length: perWave }, (_, index) => watch(edge, wave * perWave + index, tally)));
    }
  } finally {
    await edge.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const segmentGets = [...counter.gets].filter(([key]) => key.endsWith('.ts')).map(([, count]) => count);
  const manifestGets = [...counter.gets]
    .filter(([key]) => key.endsWith('.m3u8'))
    .reduce((sum, [, count]) => sum + count, 0);
  return { seconds, tally, segmentGets, manifestGets, heads: counter.heads, originBytes: counter.bytes };
}

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};
const mib = (bytes: number) => (bytes / 1024 ** 2).toFixed(1);

async function main(): Promise<void> {
  const servers = await startLocalServers();
  const redis = new Redis({ host: '127.0.0.1', port: servers.redis.port, lazyConnect: true });
  await redis.connect();
  const counter = new OriginCounter();
  try {
    const rendition = await publishRendition(servers);
    counter.install(servers);
    const on = await playAll(servers, redis, counter, true);
    const off = await playAll(servers, redis, counter, false);

    const row = (name: string, result: RunResult) => {
      const { tally } = result;
      const hits =
        (tally.outcomes.get('Hit from cloudfront') ?? 0) + (tally.outcomes.get('RefreshHit from cloudfront') ?? 0);
      const [fewest, most] = [Math.min(...result.segmentGets), Math.max(...result.segmentGets)];
      const perSegment = fewest === most ? `${fewest} each` : `${fewest} to ${most}`;
      return `| ${name} | ${tally.requests} | ${perSegment} | ${result.manifestGets} | ${((100 * hits) / tally.requests).toFixed(2)} % | ${mib(result.originBytes)} | ${mib(tally.bytesServed)} | ${(result.originBytes / tally.bytesServed).toFixed(3)} | ${percentile(tally.segmentMs, 50).toFixed(1)} | ${percentile(tally.segmentMs, 99).toFixed(1)} | ${result.seconds.toFixed(2)} |`;
    };
    const outcomes = [...on.tally.outcomes].map(([outcome, count]) => `${count} × \`${outcome}\``).join(', ');
    const lines = [
      '',
      "Reproduce with `npm run bench:cdn-cache` (writes this section). The twin's edge runs on loopback",
      'against s3rver and redis-server with the default settings (TTLs, per-IP rate rule); each viewer',
      'has its own playback token, signed as the API signs them, and its own loopback address. The',
      `rendition: ${CLIP_SECONDS} s at 540p, ${RUNG?.maxBitrateKbps} kbit/s constant, ${DEFAULT_LADDER.segmentSeconds} s segments, made by ffmpeg with the`,
      "transcoder's key names. Origin requests are counted at the edge's S3 client in both runs.",
      '',
      `Run: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores.`,
      '',
      `### ${VIEWERS} viewers in ${WAVES} waves of ${VIEWERS / WAVES}, each reading the master playlist, the media playlist and all ${rendition.segments} segments (${mib(rendition.bytes)} MiB)`,
      '',
      '| edge cache | requests | origin GETs per segment | origin GETs of manifests | hit ratio | MiB from origin | MiB served | origin / served | segment p50 (ms) | segment p99 (ms) | wall (s) |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      row('on', on),
      row('off', off),
      '',
      `With the cache on: ${outcomes}; ${on.heads} HEAD requests to S3 (one per origin fetch; ${off.heads} with it off).`,
      'The hits include viewers of the first wave who asked while the first request for the same file',
      'was still at the origin: they waited for that one fetch instead of making their own, as CloudFront',
      'collapses requests. Every request, hit or not, went through the rate rule and the token check first.',
      `The manifests' ${DEFAULT_CONFIG.manifestTtlSeconds} s TTL outlasted the run; a longer one would revalidate each manifest`,
      'with the origin (a HEAD, no body: `RefreshHit`) once per TTL.',
    ];
    writeResultsSection('## CDN cache efficiency: 100 viewers of one rendition through the edge', lines);
    console.log(lines.join('\n'));
  } finally {
    redis.disconnect();
    await servers.stop();
  }
}

runMain(main, { exitWhenDone: true });
