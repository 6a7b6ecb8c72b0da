import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { Mp4SourceProbe } from '../../lambda/adapters/mp4-source-probe';
import { S3ObjectStore } from '../../lambda/adapters/s3-object-store';
import { makeClip } from '../support/clips';
import { type LocalServers, startLocalServers } from '../support/local-servers';

let servers: LocalServers;
let store: S3ObjectStore;
let probe: Mp4SourceProbe;

beforeAll(async () => {
  servers = await startLocalServers();
  store = new S3ObjectStore(servers.s3, servers.uploadBucket);
  probe = new Mp4SourceProbe(store);
});
afterAll(() => servers.stop());

async function upload(key: string, body: Uint8Array): Promise<string> {
  await servers.s3.send(new PutObjectCommand({ Bucket: servers.uploadBucket, Key: key, Body: body }));
  return key;
}

describe('reading a source file’s dimensions from its index', () => {
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

  it('reads only the box headers and the index, not the media', async () => {
    // Prepare
    const key = await upload('uploads/long/source', await makeClip({ width: 640, height: 360, seconds: 6 }));
    const ranges: number[] = [];
    const counting = new Mp4SourceProbe({
      headObject: (k) => store.headObject(k),
      readRange: async (k, start, end) => {
        ranges.push(end - start + 1);
        return store.readRange(k, start, end);
      },
    });
    const size = (await store.headObject(key))?.sizeBytes ?? 0;
    // Act
    await counting.probe(key);
    // Assess
    expect(ranges.reduce((sum, bytes) => sum + bytes, 0)).toBeLessThan(size / 4);
  });

  it('finds nothing in a file that is not MP4, and nothing where there is no file', async () => {
    expect(await probe.probe(await upload('uploads/random/source', randomBytes(64 * 1024)))).toBeUndefined();
    expect(await probe.probe(await upload('uploads/empty/source', new Uint8Array()))).toBeUndefined();
    expect(await probe.probe('uploads/missing/source')).toBeUndefined();
  });

  it('finds nothing in a truncated file, whatever the cut', async () => {
    // Prepare
    const clip = await makeClip({ width: 320, height: 240 });
    // Act / Assess: any prefix short of the whole file lacks the index (it is at the end) or is cut inside it.
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: clip.length - 1 }), async (length) => {
        const key = await upload('uploads/cut/source', clip.subarray(0, length));
        expect(await probe.probe(key)).toBeUndefined();
      }),
      { numRuns: 25 },
    );
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
