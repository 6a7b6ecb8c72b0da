import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';

// s3rver ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3Object = require('s3rver/lib/models/object');

/** What a part-backed object reads its bytes from, in order. */
interface Manifest {
  readonly parts: readonly { readonly file: string; readonly size: number }[];
}

/** An object as s3rver's store hands it to its controllers. */
interface StoredObject {
  content: NodeJS.ReadableStream | null;
  metadata: Record<string, string>;
  range?: { start: number; end: number };
}

/** The part of s3rver's filesystem store that part-backed objects replace or use. */
export interface FilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void>;
  getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<StoredObject | null>;
  putObject(object: unknown): Promise<{ size: number; md5: string }>;
  copyObject(
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    replacementMetadata?: Record<string, string>,
  ): Promise<Record<string, string>>;
  deleteObject(bucket: string, key: string): Promise<void>;
}

const MANIFEST = 'manifest.json';
const READ_CHUNK_BYTES = 1024 * 1024;

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** Bytes `start` to `end` (inclusive) of the parts laid end to end. */
async function* readParts(folder: string, manifest: Manifest, start: number, end: number) {
  let offset = 0;
  for (const part of manifest.parts) {
    const partEnd = offset + part.size - 1;
    if (partEnd >= start && offset <= end) {
      yield* createReadStream(join(folder, part.file), {
        start: Math.max(start, offset) - offset,
        end: Math.min(end, partEnd) - offset,
        highWaterMark: READ_CHUNK_BYTES,
      });
    }
    offset += part.size;
    if (offset > end) return;
  }
}

/**
 * Keeps a completed multipart upload as its parts, as S3 does, instead of copying them into one
 * file: completing a 20 GiB upload moves a folder rather than writing 20 GiB to disk a second
 * time. The object's own file is a sparse file of the right size, so that everything s3rver
 * derives from it (Content-Length, listings, existence) stays true; reads, copies, deletes and
 * overwrites of the key are taught about the parts beside it.
 */
export function storeCompletedUploadsAsParts(store: FilesystemStore) {
  const partsFolder = (bucket: string, key: string) => store.getResourcePath(bucket, key, 'parts');
  const manifestOf = async (bucket: string, key: string): Promise<Manifest | undefined> => {
    try {
      return JSON.parse(await fs.readFile(join(partsFolder(bucket, key), MANIFEST), 'utf8')) as Manifest;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  };
  const removeParts = (bucket: string, key: string) =>
    fs.rm(partsFolder(bucket, key), { recursive: true, force: true });

  const getObject = store.getObject.bind(store);
  store.getObject = async (bucket, key, options) => {
    const manifest = await manifestOf(bucket, key);
    if (!manifest) return getObject(bucket, key, options);
    const object = await getObject(bucket, key, { ...options });
    if (!object?.content) return object;
    // s3rver opened the sparse file for the range it worked out; the bytes come from the parts.
    // Its range takes an end of 0 for none (`bytes=0-0` would be the whole object), hence ours.
    const last = Number(object.metadata['content-length']) - 1;
    const start = options?.start ?? 0;
    const end = Math.min(options?.end ?? last, last);
    if (object.range) object.range = { start, end };
    (object.content as Readable).destroy();
    object.content = Readable.from(readParts(partsFolder(bucket, key), manifest, start, end));
    return object;
  };

  const putObject = store.putObject.bind(store);
  store.putObject = async (object) => {
    const result = await putObject(object);
    const { bucket, key } = object as { bucket: string; key: string };
    await removeParts(bucket, key);
    return result;
  };

  const copyObject = store.copyObject.bind(store);
  store.copyObject = async (srcBucket, srcKey, destBucket, destKey, replacementMetadata) => {
    if (!(await manifestOf(srcBucket, srcKey)))
      return copyObject(srcBucket, srcKey, destBucket, destKey, replacementMetadata);
    // Written out whole: the copy is an object of its own.
    const source = await store.getObject(srcBucket, srcKey);
    if (!source) throw Object.assign(new Error(`no object ${srcKey}`), { code: 'ENOENT' });
    await store.putObject(new S3Object(destBucket, destKey, source.content, replacementMetadata ?? source.metadata));
    return store.getMetadata(destBucket, destKey);
  };

  const deleteObject = store.deleteObject.bind(store);
  store.deleteObject = async (bucket, key) => {
    await removeParts(bucket, key);
    await deleteObject(bucket, key);
  };

  return {
    /**
     * Completes the upload kept in `uploadFolder`: its folder becomes the object's parts, listed in
     * the order given, under S3's multipart ETag (the MD5 of the parts' binary MD5s, then
     * `-<number of parts>`). Parts uploaded but not listed are dropped, as S3 drops them.
     */
    async complete(
      bucket: string,
      uploadFolder: string,
      parts: readonly { number: number; etag: string }[],
    ): Promise<{ size: number; md5: string }> {
      const [key, metadata] = await Promise.all([
        fs.readFile(join(uploadFolder, 'key'), 'utf8'),
        fs.readFile(join(uploadFolder, 'metadata'), 'utf8').then((text) => JSON.parse(text) as Record<string, string>),
      ]);
      const listed = await Promise.all(
        parts.map(async (part) => ({
          file: String(part.number),
          size: (await fs.stat(join(uploadFolder, String(part.number)))).size,
        })),
      );
      const size = listed.reduce((total, part) => total + part.size, 0);
      const objectPath = store.getResourcePath(bucket, key, 'object');
      const folder = partsFolder(bucket, key);
      const suffix = randomBytes(8).toString('hex');
      await fs.mkdir(dirname(objectPath), { recursive: true });

      // The upload's folder is moved, not copied; then the sparse file and the folder take the
      // places of whatever object had the key. Until they do, a failure puts the upload back as
      // it was, so that the same CompleteMultipartUpload can be sent again.
      const incoming = `${folder}.${suffix}.incoming`;
      const sparse = `${objectPath}.${suffix}.sparse`;
      await fs.rename(uploadFolder, incoming);
      try {
        await fs.writeFile(join(incoming, MANIFEST), JSON.stringify({ parts: listed } satisfies Manifest));
        const handle = await fs.open(sparse, 'w');
        try {
          await handle.truncate(size);
        } finally {
          await handle.close();
        }
      } catch (error) {
        await fs.rm(sparse, { force: true });
        await fs.rm(join(incoming, MANIFEST), { force: true });
        await fs.rename(incoming, uploadFolder);
        throw error;
      }
      const replaced = `${folder}.${suffix}.replaced`;
      await fs.rename(folder, replaced).catch((error: unknown) => {
        if (!isMissing(error)) throw error;
      });
      await fs.rename(incoming, folder);
      await fs.rename(sparse, objectPath);
      await fs.rm(replaced, { recursive: true, force: true });
      // What the upload kept beside its parts, and parts not listed: S3 drops them too.
      const kept = new Set([MANIFEST, ...listed.map((part) => part.file)]);
      for (const entry of await fs.readdir(folder))
        if (!kept.has(entry)) await fs.rm(join(folder, entry), { force: true });

      const digests = createHash('md5');
      for (const part of parts) digests.update(Buffer.from(part.etag, 'hex'));
      const md5 = `${digests.digest('hex')}-${parts.length}`;
      await store.putMetadata(bucket, key, metadata, md5);
      return { size, md5 };
    },
  };
}
