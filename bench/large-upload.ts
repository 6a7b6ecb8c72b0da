/**
 * A 2 GiB file through the API's presigned multipart upload against the twin, side by side with
 * one raw PUT of the same file to the same S3-compatible server: the throughput of each, and how
 * much the twin's API process and its S3 stand-in (a process of its own) grow while the bytes go
 * through. Before the runs, one small multipart upload warms the API (its lazily loaded code and
 * first allocations); after each run, the pipeline is let finish with the upload (random bytes:
 * FAILED) before the next, so that what is sampled is the upload alone.
 *
 * Run with `npm run bench:large-upload`; writes its section of bench/RESULTS.md. It needs about
 * 15 GiB of free disk in the temp folder: the file, and every uploaded copy until the run ends.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { api, signIn, startTwinProcess, type TwinProcess, waitUntilFinished } from '../local/harness/twin-process';
import { median, writeResultsSection } from './results';
import { runMain } from './run-main';

const FILE_BYTES = 2 * 1024 ** 3;
const RUNS = 3;
/** Parts in flight, as the twin's web page uploads. */
const PARTS_IN_FLIGHT = 4;
const SAMPLE_EVERY_MS = 50;
/** The target: the twin process grows by at most this much while a 2 GiB upload goes through. */
const MAX_GROWTH_BYTES = 20_000_000;
const MIB = 1024 ** 2;
/** The warm-up upload: 8 parts. */
const WARM_UP_BYTES = 64 * MIB;

/** A file of incompressible bytes: 64 MiB of random data, written 32 times. */
async function writeSourceFile(path: string): Promise<string> {
  const block = randomBytes(64 * MIB);
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  for (let written = 0; written < FILE_BYTES; written += block.length) {
    hash.update(block);
    if (!out.write(block)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return hash.digest('hex');
}

/** PUTs `length` bytes of `path` from `start` to a presigned URL; resolves with the ETag. */
function putRange(url: string, path: string, start: number, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const put = request(url, { method: 'PUT', headers: { 'content-length': length } }, (response) => {
      response.resume();
      response.on('end', () =>
        response.statusCode === 200
          ? resolve(response.headers.etag as string)
          : reject(new Error(`PUT answered ${response.statusCode}`)),
      );
    });
    put.on('error', reject);
    pipeline(createReadStream(path, { start, end: start + length - 1, highWaterMark: MIB }), put).catch(reject);
  });
}

/** A node process of the twin's process group whose command line names `script`. */
function pidRunning(twin: TwinProcess, script: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (group === twin.processGroup && command.includes(script)) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  throw new Error(`no process of the twin runs ${script}`);
}

const residentBytes = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;

/**
 * Waits until a process's resident memory holds still (within 1 MiB over 2 s), so that what the
 * pipeline did with the previous upload (MediaInfo, ffmpeg's output, the garbage collector) is not
 * counted against the next.
 */
async function untilMemorySettles(pid: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const window: number[] = [];
  while (Date.now() < deadline) {
    window.push(residentBytes(pid));
    if (window.length > 5) window.shift();
    if (window.length === 5 && Math.max(...window) - Math.min(...window) <= MIB) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

interface MemoryGrowth {
  readonly before: number;
  readonly peak: number;
  readonly growth: number;
}

/**
 * Runs `act` while sampling two processes' resident memory; reports each one's peak above its level
 * before; for the API, also its peak after the moment `act` calls the checkpoint it is given, above
 * its level at that moment.
 */
async function withMemorySamples<T>(
  pids: { readonly api: number; readonly s3: number },
  act: (checkpoint: () => void) => Promise<T>,
) {
  const track = (pid: number) => {
    const before = residentBytes(pid);
    let peak = before;
    return {
      sample: () => {
        peak = Math.max(peak, residentBytes(pid));
      },
      done: (): MemoryGrowth => ({ before, peak, growth: peak - before }),
    };
  };
  const api = track(pids.api);
  const s3 = track(pids.s3);
  const sampler = setInterval(() => {
    api.sample();
    s3.sample();
  }, SAMPLE_EVERY_MS);
  const started = performance.now();
  let afterCheckpoint: ReturnType<typeof track> | undefined;
  const sampleAfterCheckpoint = setInterval(() => afterCheckpoint?.sample(), SAMPLE_EVERY_MS);
  try {
    const result = await act(() => {
      afterCheckpoint = track(pids.api);
    });
    const seconds = (performance.now() - started) / 1000;
    api.sample();
    s3.sample();
    afterCheckpoint?.sample();
    const apiAfterCheckpoint = (afterCheckpoint ?? api).done();
    return { result, seconds, api: api.done(), apiAfterCheckpoint, s3: s3.done() };
  } finally {
    clearInterval(sampler);
    clearInterval(sampleAfterCheckpoint);
  }
}

/** Uploads the first `bytes` of `path` through the API; resolves with the video's id and the parts' shape. */
async function multipartUpload(
  twin: TwinProcess,
  token: string,
  path: string,
  bytes = FILE_BYTES,
  onCreated: () => void = () => {},
): Promise<{ videoId: string; shape: string; joinSeconds: number }> {
  const created = await api(twin.apiUrl, 'POST', '/videos', {
    token,
    body: {
      title: 'Large',
      visibility: 'private',
      fileName: 'large.mp4',
      contentType: 'video/mp4',
      sizeBytes: bytes,
    },
  });
  if (created.status !== 201)
    throw new Error(`POST /videos answered ${created.status}: ${JSON.stringify(created.body)}`);
  const { video, upload } = created.body;
  onCreated();
  const queue = [...(upload.parts as { partNumber: number; url: string }[])];
  const done: { partNumber: number; etag: string }[] = [];
  const worker = async () => {
    for (let part = queue.shift(); part; part = queue.shift()) {
      const start = (part.partNumber - 1) * upload.partSize;
      const length = Math.min(upload.partSize, bytes - start);
      done.push({ partNumber: part.partNumber, etag: await putRange(part.url, path, start, length) });
    }
  };
  await Promise.all(Array.from({ length: PARTS_IN_FLIGHT }, worker));
  done.sort((a, b) => a.partNumber - b.partNumber);
  const joinStarted = performance.now();
  const completed = await api(twin.apiUrl, 'POST', `/videos/${video.id}/upload/complete`, {
    token,
    body: { parts: done },
  });
  if (completed.status !== 202) throw new Error(`complete answered ${completed.status}`);
  return {
    videoId: video.id,
    shape: `${upload.partCount} parts of ${upload.partSize / MIB} MiB`,
    joinSeconds: (performance.now() - joinStarted) / 1000,
  };
}

function s3Of(twin: TwinProcess): S3Client {
  const match = /S3 (http:\/\/127\.0\.0\.1:\d+)/.exec(twin.output());
  if (!match) throw new Error(`the twin did not print its S3 endpoint:\n${twin.output()}`);
  return new S3Client({
    region: 'us-east-1',
    endpoint: match[1],
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function rawPut(s3: S3Client, path: string, run: number): Promise<void> {
  // A key outside `uploads/`, so that no transcoding follows it.
  const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'vod-uploads', Key: `bench/raw-${run}` }), {
    expiresIn: 3600,
  });
  await putRange(url, path, 0, FILE_BYTES);
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'vod-bench-upload-'));
  const path = join(scratch, 'large.bin');
  await writeSourceFile(path);
  const twin = await startTwinProcess({
    env: { TWIN_SETTINGS: JSON.stringify({ apiRateLimit: 1_000_000, uploadCreationRateLimit: 1000 }) },
  });
  const s3 = s3Of(twin);
  try {
    const pids = { api: pidRunning(twin, 'local/main.ts'), s3: pidRunning(twin, 's3-server-main') };
    const token = await signIn(twin.apiUrl, 'large-uploader');
    const raw: Awaited<ReturnType<typeof withMemorySamples>>[] = [];
    const multipart: Awaited<
      ReturnType<typeof withMemorySamples<{ videoId: string; shape: string; joinSeconds: number }>>
    >[] = [];
    const warmUp = await multipartUpload(twin, token, path, WARM_UP_BYTES);
    await waitUntilFinished(twin.apiUrl, token, warmUp.videoId);
    await untilMemorySettles(pids.api);
    for (let run = 0; run < RUNS; run++) {
      // Alternated, so that both see the same disk and page-cache conditions.
      // Each upload starts with nothing left for the disk to write back from the one before.
      execFileSync('sync');
      raw.push(await withMemorySamples(pids, () => rawPut(s3, path, run)));
      execFileSync('sync');
      const measured = await withMemorySamples(pids, (checkpoint) =>
        multipartUpload(twin, token, path, FILE_BYTES, checkpoint),
      );
      multipart.push(measured);
      await waitUntilFinished(twin.apiUrl, token, measured.result.videoId, 600_000);
      await untilMemorySettles(pids.api);
    }

    const mibPerSecond = (seconds: number) => FILE_BYTES / MIB / seconds;
    const rawRate = median(raw.map((run) => mibPerSecond(run.seconds)));
    const multipartRate = median(multipart.map((run) => mibPerSecond(run.seconds)));
    const transferRate = median(multipart.map((run) => mibPerSecond(run.seconds - run.result.joinSeconds)));
    const joinSeconds = median(multipart.map((run) => run.result.joinSeconds));
    const maxGrowth = (runs: readonly { api: MemoryGrowth; s3: MemoryGrowth }[], of: 'api' | 's3') =>
      Math.max(...runs.map((run) => run[of].growth));
    const mib = (bytes: number) => (bytes / MIB).toFixed(1);
    const lines = [
      '',
      'Reproduce with `npm run bench:large-upload` (writes this section). A 2 GiB file of random bytes',
      `on disk goes to the twin (started as the README starts it) as presigned multipart (${multipart[0]?.result.shape},`,
      `${PARTS_IN_FLIGHT} in flight, streamed from the file) and, alternately, as one raw presigned PUT to the same`,
      'S3-compatible server. The multipart time runs from `POST /videos` to the answer of',
      '`POST /videos/{id}/upload/complete`; the S3 stand-in keeps a completed upload as its parts, as S3 does,',
      "so completing writes no bytes again. The resident memory of the twin's",
      `API process and of its S3 stand-in (a process of its own) is sampled every ${SAMPLE_EVERY_MS} ms; growth is the`,
      'peak during the upload above the level just before it. One small multipart upload (64 MiB) warms the',
      'API first; after each run the pipeline finishes with the upload (random bytes, so FAILED) and the API',
      "process's memory settles before the next. Each upload starts after a `sync`, with no dirty pages left",
      'from the one before.',
      '',
      `Run: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores.`,
      '',
      '| run | raw PUT (s) | raw MiB/s | multipart (s) | of which complete (s) | multipart MiB/s | API before (MiB) | API growth, whole upload (MiB) | API growth, bytes going up (MiB) | S3 growth (MiB) |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...multipart.map((run, i) => {
        const rawRun = raw[i] as (typeof raw)[number];
        return `| ${i + 1} | ${rawRun.seconds.toFixed(2)} | ${mibPerSecond(rawRun.seconds).toFixed(0)} | ${run.seconds.toFixed(2)} | ${run.result.joinSeconds.toFixed(2)} | ${mibPerSecond(run.seconds).toFixed(0)} | ${mib(run.api.before)} | ${mib(run.api.growth)} | ${mib(run.apiAfterCheckpoint.growth)} | ${mib(run.s3.growth)} |`;
      }),
      '',
      `Throughput, medians (target at least 0.8× the raw PUT's ${rawRate.toFixed(0)} MiB/s): the parts went up at`,
      `${transferRate.toFixed(0)} MiB/s, ${(transferRate / rawRate).toFixed(2)}×; from \`POST /videos\` to the answer of complete,`,
      `${multipartRate.toFixed(0)} MiB/s, ${(multipartRate / rawRate).toFixed(2)}×; complete took ${joinSeconds.toFixed(2)} s (median).`,
      '',
      `Memory (target: the API process grows by at most 20 MB, ${mib(MAX_GROWTH_BYTES)} MiB): over the whole upload it grew by at`,
      `most ${mib(maxGrowth(multipart, 'api'))} MiB, most of it for \`POST /videos\`, which presigns ${multipart[0]?.result.shape.split(' ')[0]} part URLs in one answer; while`,
      `the 2 GiB went up (from the answer of \`POST /videos\` to the answer of complete), by at most`,
      `${mib(Math.max(...multipart.map((run) => run.apiAfterCheckpoint.growth)))} MiB. The S3 stand-in grew by at most`,
      `${mib(maxGrowth(multipart, 's3'))} MiB (and by ${mib(maxGrowth(raw, 's3'))} MiB during a raw PUT).`,
    ];
    writeResultsSection('## Large upload: 2 GiB through presigned multipart', lines);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    s3.destroy();
    await twin.dispose();
    rmSync(scratch, { recursive: true, force: true });
  }
}

runMain(main);
