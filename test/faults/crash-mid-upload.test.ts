import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { makeClip } from '../../local/harness/clips';
import { api, signIn, startTwinProcess, type TwinProcess, waitUntilFinished } from '../../local/harness/twin-process';

/**
 * The twin killed outright (SIGKILL to its whole process group) in the middle of a multipart
 * upload, with one part cut off mid-body, then started again on the same data folder and ports:
 * the API says which parts it holds, the uploader sends only the others, and the stored source
 * is the file, byte for byte, which then transcodes as any other.
 */

jest.setTimeout(240_000);

/** 6 s at 40 Mbit/s is about 30 MB: three parts of 8 MiB and a shorter fourth. */
const CLIP = { width: 640, height: 360, seconds: 6, bitrateKbps: 40_000 } as const;

let twin: TwinProcess | undefined;
let clip: Buffer;

beforeAll(async () => {
  [twin, clip] = await Promise.all([startTwinProcess(), makeClip(CLIP)]);
});

afterAll(async () => {
  await twin?.dispose();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Part {
  readonly partNumber: number;
  readonly url: string;
}

const bytesOf = (partNumber: number, partSize: number) =>
  clip.subarray((partNumber - 1) * partSize, partNumber * partSize);

async function putPart(part: Part, partSize: number): Promise<{ partNumber: number; etag: string }> {
  const response = await fetch(part.url, { method: 'PUT', body: bytesOf(part.partNumber, partSize) });
  if (response.status !== 200) throw new Error(`part ${part.partNumber} answered ${response.status}`);
  return { partNumber: part.partNumber, etag: response.headers.get('etag') ?? '' };
}

/**
 * Starts the PUT of a part and sends only the first half of its body, then leaves it hanging as
 * a browser mid-upload would. Resolves once the server has begun storing it.
 */
async function startPartialPut(part: Part, partSize: number, dataDirectory: string): Promise<void> {
  const bytes = bytesOf(part.partNumber, partSize);
  const url = new URL(part.url);
  const outgoing = request({
    host: url.hostname,
    port: url.port,
    method: 'PUT',
    path: `${url.pathname}${url.search}`,
    headers: { 'content-length': String(bytes.length) },
  });
  // The crash cuts it off: a reset, which is the point.
  outgoing.on('error', () => undefined);
  outgoing.on('response', (response) => response.resume());
  outgoing.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
  const partial = new RegExp(`(^|/)${part.partNumber}\\.[0-9a-f]+\\.partial$`);
  const deadline = Date.now() + 30_000;
  while (!filesUnder(join(dataDirectory, 's3')).some((file) => partial.test(file))) {
    if (Date.now() > deadline) throw new Error(`part ${part.partNumber} never began to be stored`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const filesUnder = (directory: string): string[] =>
  existsSync(directory) ? (readdirSync(directory, { recursive: true }) as string[]) : [];

describe('a crash of the twin in the middle of a multipart upload', () => {
  it('resumes after a restart with only the missing parts, stores the file byte for byte, and transcodes it', async () => {
    // Prepare
    const first = twin as TwinProcess;
    const token = await signIn(first.apiUrl, 'carla');
    const created = await api(first.apiUrl, 'POST', '/videos', {
      token,
      body: {
        title: 'Interrupted',
        visibility: 'private',
        fileName: 'clip.mp4',
        contentType: 'video/mp4',
        sizeBytes: clip.length,
      },
    });
    expect(created.status).toBe(201);
    const { video, upload } = created.body as {
      video: { id: string };
      upload: { partSize: number; partCount: number; parts: Part[] };
    };
    expect(upload.partCount).toBe(4);
    const [one, two, three] = upload.parts as [Part, Part, Part, Part];
    const before = await Promise.all([putPart(one, upload.partSize), putPart(two, upload.partSize)]);
    await startPartialPut(three, upload.partSize, first.dataDirectory);

    // Act
    await first.crash();
    twin = await startTwinProcess({
      dataDirectory: first.dataDirectory,
      apiPort: first.apiPort,
      cdnPort: first.cdnPort,
    });
    const resumed = await api(twin.apiUrl, 'GET', `/videos/${video.id}/upload`, { token });
    const state = resumed.body as {
      partSize: number;
      partCount: number;
      uploadedParts: { partNumber: number; etag: string; sizeBytes: number }[];
      parts: Part[];
    };
    const after = await Promise.all(state.parts.map((part) => putPart(part, state.partSize)));
    const parts = [...state.uploadedParts.map(({ partNumber, etag }) => ({ partNumber, etag })), ...after].sort(
      (a, b) => a.partNumber - b.partNumber,
    );
    const completed = await api(twin.apiUrl, 'POST', `/videos/${video.id}/upload/complete`, {
      token,
      body: { parts },
    });
    const sourceUrl = new URL(state.parts[0]?.url ?? '');
    const stored = await fetch(`${sourceUrl.origin}${sourceUrl.pathname}`);
    const storedBytes = Buffer.from(await stored.arrayBuffer());
    const finished = await waitUntilFinished(twin.apiUrl, token, video.id);
    const leftovers = filesUnder(join(twin.dataDirectory, 's3')).filter((file) => file.endsWith('.partial'));

    // Assess
    expect(resumed.status).toBe(200);
    // The two parts that arrived whole survived the crash; the one cut off is not listed.
    expect(state.uploadedParts).toEqual(
      before.map(({ partNumber, etag }) => ({ partNumber, etag, sizeBytes: upload.partSize })),
    );
    expect(state.parts.map((part) => part.partNumber)).toEqual([3, 4]);
    expect(completed.status).toBe(202);
    expect(completed.body.video.status).toBe('PROCESSING');
    expect(stored.status).toBe(200);
    expect(storedBytes.length).toBe(clip.length);
    expect(sha256(storedBytes)).toBe(sha256(clip));
    // What the cut-off PUT left on disk went with the upload it belonged to.
    expect(leftovers).toEqual([]);
    expect(finished).toMatchObject({ id: video.id, status: 'READY', sizeBytes: clip.length });
    expect(finished.durationSeconds).toBeCloseTo(CLIP.seconds, 0);
  });
});
