import { type BinaryToTextEncoding, createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createContext, runInContext } from 'node:vm';
import { PLAYBACK_TOKEN_FUNCTION_PATH } from '../lambda/edge/functions';

/**
 * Runs a CloudFront Function's source, unchanged, in Node: for the tests and for the local
 * twin's edge. The source runs in a fresh V8 context with none of Node's globals, and gets only
 * what cloudfront-js-2.0 gives our functions: the `cloudfront` module with a KeyValueStore handle,
 * and a `crypto` module limited to the runtime's hashes and encodings. What Node would accept but
 * CloudFront would not (a `require`, a Node global, sha512, a `latin1` digest) fails here too.
 */

export interface ViewerRequest {
  method: string;
  uri: string;
  querystring: Record<string, { value: string; multiValue?: { value: string }[] }>;
  headers: Record<string, { value: string; multiValue?: { value: string }[] }>;
  cookies: Record<string, { value: string }>;
}

export interface ViewerResponse {
  statusCode: number;
  statusDescription?: string;
  headers?: Record<string, { value: string }>;
}

export interface ViewerRequestEvent {
  version: '1.0';
  context: { eventType: 'viewer-request'; distributionId: string; requestId: string };
  viewer: { ip: string };
  request: ViewerRequest;
}

export type ViewerRequestHandler = (event: ViewerRequestEvent) => Promise<ViewerRequest | ViewerResponse>;

/** A KeyValueStore as the function sees it; `get` rejects for a missing key, like CloudFront's. */
export interface KeyValueLookup {
  get(key: string): string | undefined | Promise<string | undefined>;
}

/** The runtime's own modules are the only imports a function may have. */
const RUNTIME_IMPORT = /^import (\w+) from '(cloudfront|crypto)';$/gm;

/** Loads a viewer-request function from its source text, bound to a KeyValueStore. */
export function compileViewerRequestFunction(source: string, store: KeyValueLookup): ViewerRequestHandler {
  const otherImport = /^\s*(import|export)\b.*$/m.exec(source.replace(RUNTIME_IMPORT, ''));
  if (otherImport) {
    throw new Error(`CloudFront Functions can import only 'cloudfront' and 'crypto'; found: ${otherImport[0].trim()}`);
  }
  const cloudfront = {
    kvs: () => ({
      async get(key: string, options?: { format?: 'string' | 'json' }) {
        const value = await store.get(key);
        if (value === undefined) throw new Error(`KeyValueStore has no key ${key}`);
        return options?.format === 'json' ? JSON.parse(value) : value;
      },
      async exists(key: string) {
        return (await store.get(key)) !== undefined;
      },
    }),
  };
  // Apart from importing the runtime's modules the file is a script, so it runs with those
  // modules bound to the names it imports them as, and its handler is the script's value.
  const body = source.replace(
    RUNTIME_IMPORT,
    (_line, name: string, module: string) => `const ${name} = runtimeModules['${module}'];`,
  );
  const context = createContext({
    runtimeModules: { cloudfront, crypto: runtimeCrypto },
    console: { log: () => undefined },
  });
  return runInContext(`'use strict';\n${body}\n;handler;`, context) as ViewerRequestHandler;
}

// The crypto module of cloudfront-js-2.0: md5, sha1 and sha256 hashes and HMACs, digested to
// hex, base64 or base64url (or bytes, when no encoding is given).
const RUNTIME_HASHES = ['md5', 'sha1', 'sha256'];
const RUNTIME_ENCODINGS = ['hex', 'base64', 'base64url'];

interface Digestible {
  update(data: string): unknown;
  digest(encoding?: BinaryToTextEncoding): string | Buffer;
}

function runtimeDigest(algorithm: string, create: () => Digestible) {
  if (!RUNTIME_HASHES.includes(algorithm)) throw new Error(`CloudFront Functions do not support ${algorithm}`);
  const inner = create();
  const digest = {
    update(data: string) {
      inner.update(data);
      return digest;
    },
    digest(encoding?: string) {
      if (encoding === undefined) return inner.digest();
      if (!RUNTIME_ENCODINGS.includes(encoding)) throw new Error(`CloudFront Functions cannot digest to ${encoding}`);
      return inner.digest(encoding as BinaryToTextEncoding);
    },
  };
  return digest;
}

const runtimeCrypto = {
  createHash: (algorithm: string) => runtimeDigest(algorithm, () => createHash(algorithm)),
  createHmac: (algorithm: string, key: string) => runtimeDigest(algorithm, () => createHmac(algorithm, key)),
};

/** Loads the deployed playback-token function, bound to a KeyValueStore. */
export function loadPlaybackTokenFunction(store: KeyValueLookup): ViewerRequestHandler {
  return compileViewerRequestFunction(readFileSync(PLAYBACK_TOKEN_FUNCTION_PATH, 'utf8'), store);
}

/** Builds the event CloudFront hands a viewer-request function for a GET of `uri`. */
export function viewerRequestEvent(uri: string, options: { method?: string; ip?: string } = {}): ViewerRequestEvent {
  const queryAt = uri.indexOf('?');
  const path = queryAt === -1 ? uri : uri.slice(0, queryAt);
  const querystring: ViewerRequest['querystring'] = {};
  if (queryAt !== -1) {
    for (const [name, value] of new URLSearchParams(uri.slice(queryAt + 1))) querystring[name] = { value };
  }
  return {
    version: '1.0',
    context: { eventType: 'viewer-request', distributionId: 'LOCAL', requestId: 'local' },
    viewer: { ip: options.ip ?? '127.0.0.1' },
    request: { method: options.method ?? 'GET', uri: path, querystring, headers: {}, cookies: {} },
  };
}
