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
  const modules: Record<string, unknown> = { cloudfront, crypto: { createHmac, createHash } };
  // Apart from importing the runtime's modules the file is a script, so it runs in a function
  // scope with those modules bound to the names it imports them as.
  const body = source.replace(
    RUNTIME_IMPORT,
    (_line, name: string, module: string) => `const ${name} = runtimeModules['${module}'];`,
  );
  const factory = new Function('runtimeModules', `'use strict';\n${body}\nreturn handler;`) as (
    runtimeModules: Record<string, unknown>,
  ) => ViewerRequestHandler;
  return factory(modules);
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
