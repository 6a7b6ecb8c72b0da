import { request } from 'node:http';
import { api, signIn, startTwinProcess, type TwinProcess } from '../../local/harness/twin-process';

/**
 * What an attacker sends, against the twin as the README starts it: every answer is a
 * documented 4xx in the API's error shape, and nothing is written.
 */

jest.setTimeout(120_000);

let twin: TwinProcess;
let token: string;

beforeAll(async () => {
  twin = await startTwinProcess();
  token = await signIn(twin.apiUrl, 'mallory');
});

afterAll(async () => {
  await twin?.dispose();
});

const validVideo = {
  title: 'A clip',
  visibility: 'private',
  fileName: 'clip.mp4',
  contentType: 'video/mp4',
  sizeBytes: 1_000_000,
};

/** Sends a raw request (fetch refuses some of what an attacker sends), and reads the answer. */
function raw(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    // The path goes out as written: a URL string would have `%2e%2e` resolved by the client.
    const outgoing = request(
      { host: '127.0.0.1', port: twin.apiPort, path, method: options.method ?? 'GET', headers: options.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

const errorCode = (body: unknown): string | undefined =>
  (body as { error?: { code?: string } } | undefined)?.error?.code;

const videosOfMallory = async () =>
  ((await api(twin.apiUrl, 'GET', '/videos', { token })).body as { items: unknown[] }).items.length;

describe('abuse of the API', () => {
  it('answers 413 to a body over the gateway’s 10 MB and to one over the API’s 1 MiB, and writes nothing', async () => {
    // Act
    const huge = await api(twin.apiUrl, 'POST', '/videos', {
      token,
      body: { ...validVideo, description: 'x'.repeat(11 * 1024 * 1024) },
    });
    const large = await api(twin.apiUrl, 'POST', '/videos', {
      token,
      body: { ...validVideo, description: 'x'.repeat(2 * 1024 * 1024) },
    });

    // Assess
    expect([huge.status, errorCode(huge.body)]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(large.status).toBe(413);
    expect(await videosOfMallory()).toBe(0);
  });

  it('answers 431 to request headers beyond the server’s limit', async () => {
    // Act
    const response = await raw('/videos', {
      headers: { authorization: `Bearer ${token}`, 'x-padding': 'x'.repeat(20_000) },
    });

    // Assess
    expect(response.status).toBe(431);
  });

  it('answers 400 to JSON nested 100,000 deep', async () => {
    // Prepare
    const depth = 100_000;
    const body = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

    // Act
    const response = await raw('/videos', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });

    // Assess
    expect(response.status).toBe(400);
    expect(errorCode(JSON.parse(response.body))).toBe('VALIDATION_FAILED');
  });

  it('answers 400 to path traversal and malformed escapes in ids, never reaching a file', async () => {
    // Act
    const statuses = await Promise.all(
      [
        '/videos/..%2F..%2Fetc%2Fpasswd',
        '/videos/%2e%2e',
        '/videos/%E0%A4%A',
        '/videos/a%00b',
        '/videos/%2Fupload',
      ].map(async (path) => [path, (await raw(path, { headers: { authorization: `Bearer ${token}` } })).status]),
    );

    // Assess
    for (const [path, status] of statuses) expect([path, status]).toEqual([path, 400]);
  });

  it('refuses control characters and lone surrogates in titles, and keeps other Unicode exactly', async () => {
    // Prepare
    const unusual = 'RTL \u202Eevil\u202C, zero\u200Bwidth, e\u0301, 🎬🇺🇦';

    // Act
    const withNul = await raw('/videos', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...validVideo, title: 'a\u0000b' }),
    });
    const withSurrogate = await raw('/videos', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: `{"title":"a\\ud800b","visibility":"private","fileName":"c.mp4","contentType":"video/mp4","sizeBytes":1000}`,
    });
    const created = await api(twin.apiUrl, 'POST', '/videos', { token, body: { ...validVideo, title: unusual } });
    const read = await api(twin.apiUrl, 'GET', `/videos/${created.body?.video?.id}`, { token });

    // Assess
    expect(withNul.status).toBe(400);
    expect(withSurrogate.status).toBe(400);
    expect(created.status).toBe(201);
    expect(read.body.video.title).toBe(unusual);
  });

  it('answers 404 in the error shape to methods and paths the API does not have', async () => {
    // Act
    const responses = await Promise.all([
      raw('/videos', { method: 'PUT', headers: { authorization: `Bearer ${token}` } }),
      raw('/admin'),
      raw('/videos/abc/upload/complete/extra', { method: 'POST' }),
    ]);

    // Assess
    for (const response of responses) {
      expect(response.status).toBe(404);
      expect(errorCode(JSON.parse(response.body))).toBe('NOT_FOUND');
    }
  });
});

describe('abuse of the edge', () => {
  it('answers 403 to traversal, encoded bytes and query tricks in media paths', async () => {
    // Act
    const statuses = await Promise.all(
      [
        '/t/k1.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/v/abc/../../state.json',
        '/t/k1.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/v/abc/hls/%2e%2e%2fmaster.m3u8',
        '/v/abc/hls/master.m3u8?token=anything',
        '/state.json',
        '/%00',
      ].map(async (path) => (await fetch(`${twin.cdnUrl}${path}`)).status),
    );

    // Assess
    expect(statuses).toEqual([403, 403, 403, 403, 403]);
  });
});
