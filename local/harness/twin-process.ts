import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SigningKey } from '../../lambda/core/playback-token';
import { PROJECT_ROOT } from '../../lib/project-root';
import { portInUse, reusablePort } from '../ports';

/** The twin started as the README starts it (`npm start`), in its own process group. */
export interface TwinProcess {
  readonly apiUrl: string;
  readonly cdnUrl: string;
  readonly apiPort: number;
  readonly cdnPort: number;
  readonly dataDirectory: string;
  /** The process group of `npm start` and everything it started (its id is npm's pid). */
  readonly processGroup: number;
  /** Seconds from spawning `npm start` to the ready line. */
  readonly secondsToReady: number;
  /** Everything it printed so far. */
  output(): string;
  /** The playback signing key it keeps in its data folder. */
  signingKey(): SigningKey;
  /** The webhook signing secret it keeps in its data folder. */
  webhookSecret(): string;
  /**
   * Ctrl-C, as a terminal sends it to the whole process group. Resolves when `npm start` has
   * exited (npm itself then ends by the same signal, as it does in a terminal).
   */
  interrupt(): Promise<void>;
  /**
   * A crash: SIGKILL to the whole process group (npm, the twin, redis-server, the SQS server), so
   * nothing gets to clean up. Resolves once its API and edge ports are free again; the data
   * folder stays, as a machine that lost power keeps its disk.
   */
  crash(): Promise<void>;
  /** Stops it and removes its data folder. */
  dispose(): Promise<void>;
}

const READY = /The VOD twin is ready in ([0-9.]+) s/;

export interface TwinProcessOptions {
  /** Reuse a data folder (a restart). @default a new temporary one */
  readonly dataDirectory?: string;
  readonly apiPort?: number;
  readonly cdnPort?: number;
  /** The command line. @default ['npm', 'start'] */
  readonly command?: readonly string[];
  readonly env?: Record<string, string>;
  /** @default 90000 */
  readonly timeoutMs?: number;
}

/** Spawns the command and gives back the process and its output, for when it does not get ready. */
export function spawnTwin(options: TwinProcessOptions = {}) {
  const [command, ...args] = options.command ?? ['npm', 'start'];
  const output: string[] = [];
  const child: ChildProcess = spawn(command as string, args, {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  return { child, exited, output: () => output.join('') };
}

/** How many times to start again on other ports when a picked port was taken before the twin bound it. */
const PORT_ATTEMPTS = 3;

export async function startTwinProcess(options: TwinProcessOptions = {}): Promise<TwinProcess> {
  const dataDirectory = options.dataDirectory ?? mkdtempSync(join(tmpdir(), 'vod-twin-'));
  for (let attempt = 1; ; attempt++) {
    const apiPort = options.apiPort ?? (await reusablePort());
    const cdnPort = options.cdnPort ?? (await reusablePort());
    try {
      return await startOnPorts(options, dataDirectory, apiPort, cdnPort);
    } catch (error) {
      // Another process (often the source port of some outgoing connection) can take a free
      // port in the seconds before the twin binds it; only ports picked here can be picked again.
      const portsPickedHere = options.apiPort === undefined && options.cdnPort === undefined;
      const portTaken = error instanceof PortTakenBeforeReady;
      if (!portsPickedHere || !portTaken || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

class PortTakenBeforeReady extends Error {}

async function startOnPorts(
  options: TwinProcessOptions,
  dataDirectory: string,
  apiPort: number,
  cdnPort: number,
): Promise<TwinProcess> {
  const started = performance.now();
  const { child, exited, output } = spawnTwin({
    ...options,
    env: { API_PORT: String(apiPort), CDN_PORT: String(cdnPort), TWIN_DATA_DIR: dataDirectory, ...options.env },
  });
  const timeoutMs = options.timeoutMs ?? 90_000;
  let secondsToReady = 0;
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the twin was not ready in ${timeoutMs} ms:\n${output()}`)),
      timeoutMs,
    );
    const check = () => {
      if (READY.test(output())) {
        secondsToReady = (performance.now() - started) / 1000;
        clearTimeout(timer);
        resolveReady();
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      const message = `the twin exited with ${code} before it was ready:\n${output()}`;
      reject(/EADDRINUSE|already in use/.test(output()) ? new PortTakenBeforeReady(message) : new Error(message));
    });
  });

  const state = () => JSON.parse(readFileSync(join(dataDirectory, 'state.json'), 'utf8'));
  const interrupt = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-(child.pid as number), 'SIGINT');
    const killer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  };
  const crash = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), 'SIGKILL');
    await exited;
    // The kernel closes a killed process's sockets as it tears it down, not when npm's exit is seen.
    const deadline = Date.now() + 20_000;
    while ((await portInUse(apiPort)) || (await portInUse(cdnPort))) {
      if (Date.now() > deadline) throw new Error(`ports ${apiPort} and ${cdnPort} stayed taken after the crash`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
  };
  return {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    cdnUrl: `http://127.0.0.1:${cdnPort}`,
    apiPort,
    cdnPort,
    dataDirectory,
    processGroup: child.pid as number,
    secondsToReady,
    output,
    signingKey: () => state().signingKey as SigningKey,
    webhookSecret: () => state().webhookSecret as string,
    interrupt,
    crash,
    async dispose() {
      await interrupt();
      rmSync(dataDirectory, { recursive: true, force: true });
    },
  };
}

/** Calls the twin's API with a JSON body and a bearer token; parses a JSON answer. */
export async function api(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  // biome-ignore lint/suspicious/noExplicitAny: the JSON answer of any route; each caller reads the fields of the route it called.
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body };
}

/** Signs in on the twin as `sub`. */
export async function signIn(baseUrl: string, sub: string): Promise<string> {
  const { status, body } = await api(baseUrl, 'POST', '/dev/tokens', { body: { sub } });
  if (status !== 200) throw new Error(`POST /dev/tokens answered ${status}: ${JSON.stringify(body)}`);
  return body.token as string;
}

/** Creates a video, PUTs its bytes part by part (in parallel) to the presigned URLs, and completes the upload. */
export async function uploadVideo(
  baseUrl: string,
  token: string,
  bytes: Buffer,
  options: { title?: string; visibility?: 'public' | 'private'; contentType?: string } = {},
): Promise<{ id: string; parts: number }> {
  const created = await api(baseUrl, 'POST', '/videos', {
    token,
    body: {
      title: options.title ?? 'A clip',
      visibility: options.visibility ?? 'private',
      fileName: 'clip.mp4',
      contentType: options.contentType ?? 'video/mp4',
      sizeBytes: bytes.length,
    },
  });
  if (created.status !== 201)
    throw new Error(`POST /videos answered ${created.status}: ${JSON.stringify(created.body)}`);
  const { video, upload } = created.body;
  const parts = await Promise.all(
    (upload.parts as { partNumber: number; url: string }[]).map(async ({ partNumber, url }) => {
      const start = (partNumber - 1) * upload.partSize;
      const response = await fetch(url, { method: 'PUT', body: bytes.subarray(start, start + upload.partSize) });
      if (response.status !== 200) throw new Error(`part ${partNumber} answered ${response.status}`);
      return { partNumber, etag: response.headers.get('etag') as string };
    }),
  );
  const completed = await api(baseUrl, 'POST', `/videos/${video.id}/upload/complete`, { token, body: { parts } });
  if (completed.status !== 202)
    throw new Error(`complete answered ${completed.status}: ${JSON.stringify(completed.body)}`);
  return { id: video.id as string, parts: parts.length };
}

/** Polls the video until its status is final; returns it. */
export async function waitUntilFinished(
  baseUrl: string,
  token: string,
  id: string,
  timeoutMs = 120_000,
  // biome-ignore lint/suspicious/noExplicitAny: the video as the API answers it, read field by field by the caller.
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { body } = await api(baseUrl, 'GET', `/videos/${id}`, { token });
    const video = body?.video;
    if (video?.status === 'READY' || video?.status === 'FAILED') return video;
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  throw new Error(`video ${id} did not finish in ${timeoutMs} ms`);
}
