import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mintPlaybackToken, playbackPath } from '../../lambda/core/playback-token';
import { signatureHeader } from '../../lambda/notify/signature';
import { makeClip } from '../../local/harness/clips';
import {
  api,
  signIn,
  spawnTwin,
  startTwinProcess,
  type TwinProcess,
  uploadVideo,
  waitUntilFinished,
} from '../../local/harness/twin-process';
import { freePort, portInUse } from '../../local/ports';

const run = promisify(execFile);

/**
 * The twin end to end, started as the README starts it: a clip goes in through the API in parts,
 * comes out of the ffmpeg pipeline, and is read back through the edge with real clients.
 */

jest.setTimeout(180_000);

const CLIP_SECONDS = 8;
let twin: TwinProcess;
let clip: Buffer;
let alice: string;
let bob: string;
let video: { id: string; parts: number };
let ready: any;
/** A webhook receiver on loopback: what it got, as received. */
let receiver: HttpServer;
const deliveries: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

beforeAll(async () => {
  receiver = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString() });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const webhookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
  // 20 Mbit/s for 8 s is about 20 MB: three parts of 8 MiB.
  [twin, clip] = await Promise.all([
    startTwinProcess({ env: { WEBHOOK_URL: webhookUrl } }),
    makeClip({ width: 1280, height: 720, seconds: CLIP_SECONDS, bitrateKbps: 20_000 }),
  ]);
  [alice, bob] = await Promise.all([signIn(twin.apiUrl, 'alice'), signIn(twin.apiUrl, 'bob')]);
});

afterAll(async () => {
  await twin?.dispose();
  receiver?.close();
});

const playbackOf = async (id: string, token?: string) => {
  const { status, body } = await api(twin.apiUrl, 'GET', `/videos/${id}/playback`, { token });
  expect(status).toBe(200);
  return body as { hls: string; mp4: string; thumbnail: string; expiresAt: string };
};

describe('an upload through the twin', () => {
  it('goes in through the API in parallel parts and becomes READY', async () => {
    // Act
    video = await uploadVideo(twin.apiUrl, alice, clip, { title: 'End to end', visibility: 'private' });
    ready = await waitUntilFinished(twin.apiUrl, alice, video.id);

    // Assess
    expect(video.parts).toBe(3);
    expect(ready).toMatchObject({ id: video.id, status: 'READY', ownerId: 'alice', sizeBytes: clip.length });
    expect(ready.durationSeconds).toBeCloseTo(CLIP_SECONDS, 0);
    expect(ready.renditions.map((rendition: { height: number }) => rendition.height)).toEqual([720, 540, 360]);
  });

  it('tells the webhook receiver, with a signature made by the same code as in AWS', async () => {
    // Prepare
    const deadline = Date.now() + 30_000;
    const isReady = (body: string) => body.includes('"video.ready"') && body.includes(video.id);
    while (!deliveries.some((delivery) => isReady(delivery.body)) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));

    // Act
    const delivery = deliveries.find((candidate) => isReady(candidate.body));
    const signature = String(delivery?.headers['webhook-signature']);
    const [, t] = /^t=([0-9]+),/.exec(signature) ?? [];

    // Assess
    expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({
      type: 'video.ready',
      data: { video: { id: video.id, status: 'READY' } },
    });
    expect(signature).toBe(signatureHeader(twin.webhookSecret(), delivery?.body ?? '', Number(t)));
  });

  it('fails a corrupt upload with a readable reason and a video.failed webhook, leaving nothing in PROCESSING', async () => {
    // Prepare: random bytes named as an MP4.
    const garbage = randomBytes(2 * 1024 * 1024);

    // Act
    const corrupt = await uploadVideo(twin.apiUrl, alice, garbage, { title: 'Not a video' });
    const finished = await waitUntilFinished(twin.apiUrl, alice, corrupt.id);
    const deadline = Date.now() + 30_000;
    const isFailed = (body: string) => body.includes('"video.failed"') && body.includes(corrupt.id);
    while (!deliveries.some((delivery) => isFailed(delivery.body)) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));

    // Assess
    expect(finished.status).toBe('FAILED');
    expect(finished.error).toEqual({ code: 'TRANSCODE_FAILED', message: expect.stringMatching(/^\S.{9,}/) });
    expect(finished.error.message).not.toMatch(/s3:\/\/|\/tmp\//);
    expect(deliveries.some((delivery) => isFailed(delivery.body))).toBe(true);
    const { items } = (await api(twin.apiUrl, 'GET', '/videos', { token: alice })).body as {
      items: { status: string }[];
    };
    expect(items.filter((item) => item.status === 'PROCESSING')).toEqual([]);
  });

  it('reads back through the edge with ffprobe: the duration and every rendition', async () => {
    // Prepare
    const { hls } = await playbackOf(video.id, alice);

    // Act
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-print_format',
      'json',
      '-show_format',
      '-show_streams',
      hls,
    ]);
    const probe = JSON.parse(stdout) as {
      format: { duration: string };
      streams: { codec_type: string; width?: number; height?: number }[];
    };

    // Assess
    expect(Number(probe.format.duration)).toBeCloseTo(CLIP_SECONDS, 0);
    const heights = new Set(probe.streams.filter((s) => s.codec_type === 'video').map((s) => s.height));
    expect([...heights].sort((a, b) => (b ?? 0) - (a ?? 0))).toEqual([720, 540, 360]);
    expect(probe.streams.some((s) => s.codec_type === 'audio')).toBe(true);
  });

  it('serves Range requests on the MP4 with the same bytes as a full download', async () => {
    // Prepare
    const { mp4 } = await playbackOf(video.id, alice);
    const full = Buffer.from(await (await fetch(mp4)).arrayBuffer());
    const size = full.length;

    // Act and assess
    for (const [range, start, end] of [
      ['bytes=0-99', 0, 99],
      ['bytes=1000-4999', 1000, 4999],
      ['bytes=-500', size - 500, size - 1],
      [`bytes=${size - 10}-`, size - 10, size - 1],
    ] as const) {
      const response = await fetch(mp4, { headers: { range } });
      expect(response.status).toBe(206);
      expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
      expect(Buffer.from(await response.arrayBuffer()).equals(full.subarray(start, end + 1))).toBe(true);
    }
    const beyond = await fetch(mp4, { headers: { range: `bytes=${size}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`);
  });

  it('answers 403 to every token failure', async () => {
    // Prepare
    const { hls } = await playbackOf(video.id, alice);
    const { pathname } = new URL(hls);
    const token = pathname.split('/')[2] as string;
    const [keyId, expiresAt, signature] = token.split('.') as [string, string, string];
    const key = twin.signingKey();
    const now = Math.floor(Date.now() / 1000);
    const otherToken = mintPlaybackToken(key, 'anotherVideo', now + 60);
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    const paths = {
      'no token': `/v/${video.id}/hls/master.m3u8`,
      'a bad signature': `/t/${keyId}.${expiresAt}.${flipped}/v/${video.id}/hls/master.m3u8`,
      'a changed expiry': `/t/${keyId}.${Number(expiresAt) + 60}.${signature}/v/${video.id}/hls/master.m3u8`,
      'an expired token': playbackPath(mintPlaybackToken(key, video.id, now - 1), video.id, 'hls/master.m3u8'),
      "another video's token": `/t/${otherToken}/v/${video.id}/hls/master.m3u8`,
      'an unknown key': playbackPath(
        mintPlaybackToken({ ...key, keyId: 'retired' }, video.id, now + 60),
        video.id,
        'hls/master.m3u8',
      ),
      'a token that is garbage': `/t/not-a-token/v/${video.id}/hls/master.m3u8`,
    };

    // Act
    const statuses = Object.fromEntries(
      await Promise.all(
        Object.entries(paths).map(async ([what, path]) => [what, (await fetch(`${twin.cdnUrl}${path}`)).status]),
      ),
    );

    // Assess
    expect(statuses).toEqual(Object.fromEntries(Object.keys(paths).map((what) => [what, 403])));
    expect((await fetch(hls)).status).toBe(200);
  });

  it("answers 404 to another user's private video, and to anonymous callers", async () => {
    // Act
    const asBob = await api(twin.apiUrl, 'GET', `/videos/${video.id}`, { token: bob });
    const playbackAsBob = await api(twin.apiUrl, 'GET', `/videos/${video.id}/playback`, { token: bob });
    const anonymous = await api(twin.apiUrl, 'GET', `/videos/${video.id}`);

    // Assess
    expect(asBob.status).toBe(404);
    expect(asBob.body).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    expect(playbackAsBob.status).toBe(404);
    expect(anonymous.status).toBe(404);
  });

  it('answers 401 without a token, and gzips JSON from 1 KiB', async () => {
    // Act
    const unsigned = await api(twin.apiUrl, 'GET', '/videos');
    const list = await fetch(`${twin.apiUrl}/videos`, {
      headers: { authorization: `Bearer ${alice}`, 'accept-encoding': 'gzip' },
    });

    // Assess
    expect(unsigned.status).toBe(401);
    expect(unsigned.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    expect(list.status).toBe(200);
    const { items } = (await list.json()) as { items: unknown[] };
    const size = JSON.stringify({ items }).length;
    expect(list.headers.get('content-encoding')).toBe(size >= 1024 ? 'gzip' : null);
  });

  it('answers 429 with Retry-After to a burst of upload creations beyond the limit', async () => {
    // Prepare: the default rule allows 30 creations per IP in 5 minutes; bodies that fail
    // validation still count, as they do in WAF, and create nothing.
    const attempts = 40;

    // Act
    const responses = [];
    for (let i = 0; i < attempts; i++)
      responses.push(await api(twin.apiUrl, 'POST', '/videos', { token: alice, body: {} }));

    // Assess
    const limited = responses.filter((response) => response.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(attempts - 30);
    expect(responses.filter((response) => response.status === 400).length).toBeLessThanOrEqual(30);
    const first = limited[0];
    expect(first?.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String) } });
    expect(Number(first?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(first?.headers.get('x-ratelimit-limit')).toBe('30');
    expect(first?.headers.get('x-ratelimit-remaining')).toBe('0');
    // Other routes have their own, larger budget.
    expect((await api(twin.apiUrl, 'GET', '/videos', { token: alice })).status).toBe(200);
  });

  it('stops cleanly on Ctrl-C and keeps its data across a restart', async () => {
    // Act
    await twin.interrupt();
    const printed = twin.output();
    const portsAfterStop = await Promise.all([portInUse(twin.apiPort), portInUse(twin.cdnPort)]);
    twin = await startTwinProcess({ dataDirectory: twin.dataDirectory, apiPort: twin.apiPort, cdnPort: twin.cdnPort });

    // Assess
    expect(printed).toMatch(/SIGINT: stopping the twin…\nStopped\./);
    expect(portsAfterStop).toEqual([undefined, undefined]);
    const again = await api(twin.apiUrl, 'GET', `/videos/${video.id}`, { token: alice });
    expect(again.status).toBe(200);
    expect(again.body.video.status).toBe('READY');
    expect((await fetch((await playbackOf(video.id, alice)).hls)).status).toBe(200);
  });
});

describe('starting the twin', () => {
  it('says which port is taken', async () => {
    // Prepare
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;

    // Act
    const { exited, output } = spawnTwin({
      env: {
        API_PORT: String(port),
        CDN_PORT: String(await freePort()),
        TWIN_DATA_DIR: mkdtempSync(join(tmpdir(), 'vod-twin-')),
      },
    });
    const code = await exited;
    blocker.close();

    // Assess
    expect(code).toBe(1);
    expect(output()).toContain(`Port ${port} (API_PORT) is already in use`);
  });

  it('refuses TWIN_SETTINGS that are not valid vod settings, saying which and why', async () => {
    // Act
    const notJson = spawnTwin({
      command: [process.execPath, '--import', 'tsx', 'local/main.ts'],
      env: { TWIN_SETTINGS: '{apiRateLimit', TWIN_DATA_DIR: mkdtempSync(join(tmpdir(), 'vod-twin-')) },
    });
    const outOfRange = spawnTwin({
      command: [process.execPath, '--import', 'tsx', 'local/main.ts'],
      env: { TWIN_SETTINGS: '{"apiRateLimit":1}', TWIN_DATA_DIR: mkdtempSync(join(tmpdir(), 'vod-twin-')) },
    });

    // Assess
    expect(await notJson.exited).toBe(1);
    expect(notJson.output()).toContain('TWIN_SETTINGS must be a JSON object of vod settings');
    expect(await outOfRange.exited).toBe(1);
    expect(outOfRange.output()).toContain('apiRateLimit');
  });

  it('lays TWIN_SETTINGS over the deployed settings for one run', async () => {
    // Prepare
    const twin = await startTwinProcess({ env: { TWIN_SETTINGS: '{"uploadCreationRateLimit":10}' } });

    try {
      const token = await signIn(twin.apiUrl, 'settings-user');

      // Act: invalid bodies count against the rule too, and create nothing.
      const responses = [];
      for (let i = 0; i < 11; i++) responses.push(await api(twin.apiUrl, 'POST', '/videos', { token, body: {} }));

      // Assess: the eleventh is over the lowered limit of 10 (the deployed one is 30).
      expect(responses.slice(0, 10).map((response) => response.status)).toEqual(Array(10).fill(400));
      expect(responses[10]?.status).toBe(429);
      expect(responses[10]?.headers.get('x-ratelimit-limit')).toBe('10');
    } finally {
      await twin.dispose();
    }
  });

  it('says which tool is missing', async () => {
    // Prepare: a PATH with node and a shell, and nothing else.
    const bin = mkdtempSync(join(tmpdir(), 'vod-bin-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh'));

    // Act
    const { exited, output } = spawnTwin({
      command: [process.execPath, '--import', 'tsx', 'local/main.ts'],
      env: { PATH: bin, TWIN_DATA_DIR: mkdtempSync(join(tmpdir(), 'vod-twin-')) },
    });
    const code = await exited;
    rmSync(bin, { recursive: true, force: true });

    // Assess
    expect(code).toBe(1);
    expect(output()).toMatch(/Missing: redis-server .*ffmpeg .*ffprobe/);
    expect(output()).toContain('scripts/install-system-packages.sh');
  });
});
