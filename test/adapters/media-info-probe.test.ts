import { PutObjectCommand } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { MediaInfoProbe } from '../../lambda/adapters/media-info-probe';
import { S3ObjectStore } from '../../lambda/adapters/s3-object-store';
import { makeClip, NOT_A_VIDEO } from '../../local/harness/clips';
import { type LocalServers, startLocalServers } from '../../local/harness/local-servers';

let servers: LocalServers;
let store: S3ObjectStore;
let probe: MediaInfoProbe;

beforeAll(async () => {
  servers = await startLocalServers();
  store = new S3ObjectStore(servers.s3, servers.uploadBucket);
  probe = new MediaInfoProbe(store);
});
afterAll(() => servers.stop());

async function upload(key: string, body: Uint8Array): Promise<string> {
  await servers.s3.send(new PutObjectCommand({ Bucket: servers.uploadBucket, Key: key, Body: body }));
  return key;
}

describe('reading a source file’s dimensions, length and tracks', () => {
  it('reads a camera file whose index follows the media', async () => {
    // Prepare
    const key = await upload('uploads/camera/source', await makeClip({ width: 1280, height: 720, seconds: 2 }));
    // Act
    const info = await probe.probe(key);
    // Assess
    expect(info).toMatchObject({ width: 1280, height: 720, hasAudio: true });
    expect(info?.durationSeconds).toBeCloseTo(2, 0);
  });

  it('reads a fast-start file whose index comes first', async () => {
    const key = await upload('uploads/web/source', await makeClip({ width: 640, height: 360, faststart: true }));
    expect(await probe.probe(key)).toMatchObject({ width: 640, height: 360, hasAudio: true });
  });

  it('turns a phone’s portrait recording upright: a 1920×1080 picture rotated 90° is 1080 wide', async () => {
    const key = await upload('uploads/phone/source', await makeClip({ width: 1920, height: 1080, rotate: 90 }));
    expect(await probe.probe(key)).toMatchObject({ width: 1080, height: 1920 });
  });

  it('tells a silent source from one with sound', async () => {
    const key = await upload('uploads/silent/source', await makeClip({ width: 320, height: 240, audio: false }));
    expect(await probe.probe(key)).toMatchObject({ width: 320, height: 240, hasAudio: false });
  });

  it.each([
    ['a browser recording (WebM)', 'webm', 640, 360, true],
    ['a Matroska file', 'mkv', 854, 480, false],
    ['an MPEG transport stream', 'ts', 320, 240, true],
  ] as const)('reads %s', async (_what, container, width, height, audio) => {
    // Prepare
    const key = await upload(`uploads/${container}/source`, await makeClip({ width, height, audio, container }));
    // Act
    const info = await probe.probe(key);
    // Assess
    expect(info).toMatchObject({ width, height, hasAudio: audio });
    expect(info?.durationSeconds).toBeGreaterThan(0.5);
  });

  it('answers probes made at the same time, each about its own file', async () => {
    // Prepare
    const keys = [
      await upload('uploads/first/source', await makeClip({ width: 640, height: 360 })),
      await upload('uploads/second/source', await makeClip({ width: 320, height: 240, container: 'webm' })),
    ];
    // Act
    const infos = await Promise.all([...keys, ...keys].map((key) => probe.probe(key)));
    // Assess
    expect(infos.map((info) => `${info?.width}x${info?.height}`)).toEqual(['640x360', '320x240', '640x360', '320x240']);
  });

  it('finds nothing in a file that is not a video, and nothing where there is no file', async () => {
    expect(await probe.probe(await upload('uploads/random/source', NOT_A_VIDEO))).toBeUndefined();
    expect(await probe.probe(await upload('uploads/empty/source', new Uint8Array()))).toBeUndefined();
    expect(await probe.probe('uploads/missing/source')).toBeUndefined();
  });

  it('never fails on a truncated file, whatever the cut, and finds no impossible size in it', async () => {
    // Prepare
    const clip = await makeClip({ width: 320, height: 240 });
    // Act / Assess: the transcoder, not the probe, says what is wrong with a damaged file.
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: clip.length - 1 }), async (length) => {
        const key = await upload('uploads/cut/source', clip.subarray(0, length));
        const info = await probe.probe(key);
        if (info) expect([info.width, info.height]).toEqual([320, 240]);
      }),
      { numRuns: 25 },
    );
  });

  it('finds the index wherever it is, reading no more than its limit', async () => {
    // Prepare: a camera-style file, the index after 20 s of media; MediaInfo reads the start,
    // jumps to the index at the end, then would go on through the media.
    const key = await upload('uploads/long/source', await makeClip({ width: 1280, height: 720, seconds: 20 }));
    const size = (await store.headObject(key))?.sizeBytes ?? 0;
    let bytesRead = 0;
    const limited = new MediaInfoProbe(
      {
        headObject: (k) => store.headObject(k),
        readRange: async (k, start, end) => {
          bytesRead += end - start + 1;
          return store.readRange(k, start, end);
        },
      },
      { maxBytesRead: 1024 * 1024 },
    );
    // Act
    const info = await limited.probe(key);
    // Assess
    expect(info).toMatchObject({ width: 1280, height: 720, hasAudio: true });
    expect(info?.durationSeconds).toBeCloseTo(20, 0);
    expect(bytesRead).toBeLessThanOrEqual(1024 * 1024);
    expect(bytesRead).toBeLessThan(size / 10);
  });

  it('reports a file unreadable, rather than guessing, when its limit stops it before the index', async () => {
    // Prepare
    const key = await upload('uploads/limited/source', await makeClip({ width: 640, height: 360, seconds: 6 }));
    const limited = new MediaInfoProbe(store, { maxBytesRead: 4 * 1024, chunkBytes: 4 * 1024 });
    // Act / Assess
    expect(await limited.probe(key)).toBeUndefined();
  });

  it('never throws on arbitrary bytes behind a valid-looking first box', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 2048 }), async (tail) => {
        const header = Buffer.from([0, 0, 0, 16, ...Buffer.from('ftypisom'), 0, 0, 2, 0]);
        const key = await upload('uploads/fuzz/source', Buffer.concat([header, tail]));
        const info = await probe.probe(key);
        if (info) expect(info.width).toBeGreaterThan(0);
      }),
      { numRuns: 40 },
    );
  });
});
