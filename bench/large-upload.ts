/**
 * A 2 GiB file through the API's presigned multipart upload against the twin, side by side with
 * one raw PUT of the same file to the same S3-compatible server: the throughput of each, and how
 * much the twin process (the API, and the S3 stand-in it hosts) grows while the bytes go through.
 *
 * Run with `npm run bench:large-upload`; writes its section of bench/RESULTS.md. It needs about
 * 15 GiB of free disk in the temp folder: the file, and every uploaded copy until the run ends.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { api, signIn, startTwinProcess, type TwinProcess } from '../test/support/twin-process';
import { median, writeResultsSection } from './results';

const FILE_BYTES = 2 * 1024 ** 3;
const RUNS = 3;
/** Parts in flight, as the twin's web page uploads. */
const PARTS_IN_FLIGHT = 4;
const SAMPLE_EVERY_MS = 50;
/** The target: the twin process grows by at most this much while a 2 GiB upload goes through. */
const MAX_GROWTH_BYTES = 20 * 1024 ** 2;
const MIB = 1024 ** 2;

/** A file of incompressible bytes: 64 MiB of random data, written 32 times. */
async function writeSourceFile(path: string): Promise<string> {
  const block = randomBytes(64 * MIB);
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  for (let written = 0; written < FILE_BYTES; written += block.length) {
    hash.update(block);
    if (!out.write(block)) await new Promise((resolve) => out.once('drain', resolve));
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

interface MemoryGrowth {
  readonly before: number;
  readonly peak: number;
  readonly growth: number;
}

/** Runs `act` while sampling two processes' resident memory; reports each one's peak above its level before. */
async function withMemorySamples<T>(pids: { readonly api: number; readonly s3: number }, act: () => Promise<T>) {
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
  try {
    const result = await act();
    const seconds = (performance.now() - started) / 1000;
    api.sample();
    s3.sample();
    return { result, seconds, api: api.done(), s3: s3.done() };
  } finally {
    clearInterval(sampler);
  }
}

async function multipartUpload(twin: TwinProcess, token: string, path: string): Promise<string> {
  const created = await api(twin.apiUrl, 'POST', '/videos', {
    token,
    body: {
      title: 'Large',
      visibility: 'private',
      fileName: 'large.mp4',
      contentType: 'video/mp4',
      sizeBytes: FILE_BYTES,
    },
  });
  if (created.status !== 201)
    throw new Error(`POST /videos answered ${created.status}: ${JSON.stringify(created.body)}`);
  const { video, upload } = created.body;
  const queue = [...(upload.parts as { partNumber: number; url: string }[])];
  const done: { partNumber: number; etag: string }[] = [];
  const worker = async () => {
    for (let part = queue.shift(); part; part = queue.shift()) {
      const start = (part.partNumber - 1) * upload.partSize;
      const length = Math.min(upload.partSize, FILE_BYTES - start);
      done.push({ partNumber: part.partNumber, etag: await putRange(part.url, path, start, length) });
    }
  };
  await Promise.all(Array.from({ length: PARTS_IN_FLIGHT }, worker));
  done.sort((a, b) => a.partNumber - b.partNumber);
  const completed = await api(twin.apiUrl, 'POST', `/videos/${video.id}/upload/complete`, {
    token,
    body: { parts: done },
  });
  if (completed.status !== 202) throw new Error(`complete answered ${completed.status}`);
  return `${upload.partCount} parts of ${upload.partSize / MIB} MiB`;
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
  const twin = await startTwinProcess({ env: { TWIN_SETTINGS: JSON.stringify({ uploadCreationRateLimit: 1000 }) } });
  const s3 = s3Of(twin);
  try {
    const pids = { api: pidRunning(twin, 'local/main.ts'), s3: pidRunning(twin, 's3-server-main') };
    const token = await signIn(twin.apiUrl, 'large-uploader');
    const raw: Awaited<ReturnType<typeof withMemorySamples>>[] = [];
    const multipart: Awaited<ReturnType<typeof withMemorySamples<string>>>[] = [];
    for (let run = 0; run < RUNS; run++) {
      // Alternated, so that both see the same disk and page-cache conditions.
      raw.push(await withMemorySamples(pids, () => rawPut(s3, path, run)));
      multipart.push(await withMemorySamples(pids, () => multipartUpload(twin, token, path)));
    }

    const mibPerSecond = (seconds: number) => FILE_BYTES / MIB / seconds;
    const rawRate = median(raw.map((run) => mibPerSecond(run.seconds)));
    const multipartRate = median(multipart.map((run) => mibPerSecond(run.seconds)));
    const maxGrowth = (runs: readonly { api: MemoryGrowth; s3: MemoryGrowth }[], of: 'api' | 's3') =>
      Math.max(...runs.map((run) => run[of].growth));
    const mib = (bytes: number) => (bytes / MIB).toFixed(1);
    const lines = [
      '',
      'Reproduce with `npm run bench:large-upload` (writes this section). A 2 GiB file of random bytes',
      `on disk goes to the twin (started as the README starts it) as presigned multipart (${multipart[0]?.result},`,
      `${PARTS_IN_FLIGHT} in flight, streamed from the file) and, alternately, as one raw presigned PUT to the same`,
      'S3-compatible server. The multipart time runs from `POST /videos` to the answer of',
      "`POST /videos/{id}/upload/complete` (which joins the parts). The resident memory of the twin's",
      `API process and of its S3 stand-in (a process of its own) is sampled every ${SAMPLE_EVERY_MS} ms; growth is the`,
      'peak during the upload above the level just before it.',
      '',
      `Run: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores.`,
      '',
      '| run | raw PUT (s) | raw MiB/s | multipart (s) | multipart MiB/s | API before (MiB) | API growth (MiB) | S3 growth (MiB) |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...multipart.map((run, i) => {
        const rawRun = raw[i] as (typeof raw)[number];
        return `| ${i + 1} | ${rawRun.seconds.toFixed(2)} | ${mibPerSecond(rawRun.seconds).toFixed(0)} | ${run.seconds.toFixed(2)} | ${mibPerSecond(run.seconds).toFixed(0)} | ${mib(run.api.before)} | ${mib(run.api.growth)} | ${mib(run.s3.growth)} |`;
      }),
      '',
      `Throughput, medians: multipart ${multipartRate.toFixed(0)} MiB/s against raw PUT ${rawRate.toFixed(0)} MiB/s,`,
      `${(multipartRate / rawRate).toFixed(2)}× (target at least 0.8×). The API process grew by at most`,
      `${mib(maxGrowth(multipart, 'api'))} MiB during a multipart upload (target at most ${MAX_GROWTH_BYTES / MIB} MiB); the S3 stand-in by at most`,
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

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
