import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PLAYBACK_TOKEN_FUNCTION_PATH } from '../lambda/edge/functions';

/**
 * Runs a CloudFront Function's source, unchanged, in Node: for the tests and for the local
 * twin's edge. It provides what the cloudfront-js-2.0 runtime provides to our functions: the
 * `cloudfront` module with a KeyValueStore handle, and the `crypto` module's hashing.
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

const IMPORT_CLOUDFRONT = /^import cf from 'cloudfront';$/m;

/** Loads a viewer-request function from its source text, bound to a KeyValueStore. */
export function compileViewerRequestFunction(source: string, store: KeyValueLookup): ViewerRequestHandler {
  if (!IMPORT_CLOUDFRONT.test(source)) {
    throw new Error("The function source must import the runtime as `import cf from 'cloudfront';`");
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
  const runtimeCrypto = { createHmac, createHash };
  const require = (name: string) => {
    if (name === 'crypto') return runtimeCrypto;
    throw new Error(`CloudFront Functions have no module ${name}`);
  };
  // The only ES module syntax the runtime allows is importing its own modules; everything else
  // in the file is a script, so it runs in a function scope with those modules bound.
  const body = `${source.replace(IMPORT_CLOUDFRONT, 'const cf = cloudfront;')}\nreturn handler;`;
  const factory = new Function('cloudfront', 'require', `'use strict';\n${body}`) as (
    cf: unknown,
    req: unknown,
  ) => ViewerRequestHandler;
  return factory(cloudfront, require);
}

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
