import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RATE_LIMITED_BODY } from '../lambda/core/errors';
import {
  behaviourFor,
  COMPRESSIBLE_BYTES,
  cacheControlFor,
  cacheKeyOf,
  cacheTtlsFor,
  edgeTtlSeconds,
  PLAYER_ALLOWED_HEADERS,
  PLAYER_ALLOWED_METHODS,
  PLAYER_CORS_MAX_AGE_SECONDS,
  PLAYER_EXPOSED_HEADERS,
  securityHeaderFields,
} from '../lambda/edge/cdn-rules';
import { decideResponse } from './byte-ranges';
import {
  type KeyValueLookup,
  loadPlaybackTokenFunction,
  type ViewerResponse,
  viewerRequestEvent,
} from './cloudfront-function-runtime';
import { type CacheLookup, EdgeCache, type EdgeCacheOptions, type EdgeCacheStats } from './edge-cache';
import { type LoopbackServer, listenOnLoopback } from './ports';
import { type RateRule, rateLimitHeaders, type TokenBucketLimiter } from './token-bucket';

/**
 * The twin's CDN edge: what the web ACL, CloudFront, its playback-token function and the private
 * S3 origin answer a viewer, in CloudFront's order, on one loopback server. It runs the deployed
 * function source unchanged and takes its caching, CORS and security headers from the same data
 * as the Delivery construct, so the twin and the stack answer alike. Like an edge location it
 * caches what the origin answered (./edge-cache.ts) under the construct's cache keys and TTLs, after
 * the web ACL and the token check, which every request goes through, cached or not.
 */

export interface EdgeServerOptions {
  /** 0 picks a free port. Bind 127.0.0.1 only. */
  readonly port: number;
  /** An S3 client pointed at the S3-compatible server. */
  readonly s3: S3Client;
  readonly mediaBucket: string;
  /** The signing keys as the CloudFront KeyValueStore holds them: `key:{keyId}` -> secret. */
  readonly signingKeys: KeyValueLookup;
  readonly limiter: TokenBucketLimiter;
  readonly rateRule: RateRule;
  readonly manifestTtlSeconds: number;
  readonly mediaTtlSeconds: number;
  /** CORS: origins allowed to read media, or ['*']. */
  readonly allowedOrigins: readonly string[];
  /** Told of faults: the function throwing, S3 failing (a viewer hanging up is not one). */
  readonly onFault?: (error: unknown) => void;
  /**
   * The edge cache, on as CloudFront's always is; `false` sends every request to the origin.
   * @default - on, with EdgeCache's defaults (256 MiB, objects above 32 MiB not kept)
   */
  readonly cache?: EdgeCacheOptions | false;
}

export interface EdgeServer extends LoopbackServer {
  /** The cache's counters, or undefined when the cache is off. */
  cacheStats(): EdgeCacheStats | undefined;
}

type Headers = Record<string, string>;

/** S3's answer for a key it will not reveal (origin access control without ListBucket). */
const ACCESS_DENIED_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
const INVALID_RANGE_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message></Error>';
const METHOD_NOT_ALLOWED = 'This distribution is not configured to allow the HTTP request method that was used.';

/** An S3 answer meaning "no such key" (or not visible to us): the edge passes on 403. */
function isMissingObject(error: unknown): boolean {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = $metadata?.httpStatusCode;
  return name === 'NotFound' || name === 'NoSuchKey' || status === 404 || status === 403;
}

/** Whether Accept-Encoding lets us send gzip: listed (or `*`) with a quality above zero. */
function acceptsGzip(header: string | undefined): boolean {
  let gzip: number | undefined;
  let any: number | undefined;
  for (const part of (header ?? '').split(',')) {
    const [coding = '', ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    if (coding === 'gzip' || coding === 'x-gzip') gzip = quality;
    else if (coding === '*') any = quality;
  }
  const quality = gzip ?? any ?? 0;
  return Number.isFinite(quality) && quality > 0;
}

/**
 * Passes on exactly `length` bytes, the Content-Length already sent: a shorter body is an error
 * (the viewer's connection is cut, not left waiting), a longer one is cut short: s3rver answers
 * `bytes=0-0` with the whole object, where S3 sends one byte.
 */
function exactly(length: number): Transform {
  let left = length;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const piece = chunk.subarray(0, left);
      left -= piece.length;
      done(null, piece.length > 0 ? piece : undefined);
    },
    flush(done) {
      done(left > 0 ? new Error(`the origin sent ${length - left} of ${length} bytes`) : null);
    },
  });
}

export async function startEdgeServer(options: EdgeServerOptions): Promise<EdgeServer> {
  const tokenFunction = loadPlaybackTokenFunction(options.signingKeys);
  const anyOrigin = options.allowedOrigins.includes('*');
  const security = securityHeaderFields();

  /** The response headers policy's CORS and security headers, which every answer carries. */
  const policyHeaders = (request: IncomingMessage): Headers => {
    const origin = request.headers.origin;
    const headers: Headers = { ...security, 'Access-Control-Expose-Headers': PLAYER_EXPOSED_HEADERS.join(', ') };
    if (anyOrigin) headers['Access-Control-Allow-Origin'] = '*';
    else {
      // The answer depends on Origin, so shared caches must keep one copy per origin.
      headers.Vary = 'Origin';
      if (origin !== undefined && options.allowedOrigins.includes(origin))
        headers['Access-Control-Allow-Origin'] = origin;
    }
    return headers;
  };

  const send = (response: ServerResponse, status: number, headers: Headers, body?: string | Buffer): void => {
    const bytes = body === undefined ? undefined : Buffer.from(body);
    if (bytes !== undefined) headers['Content-Length'] = String(bytes.length);
    response.writeHead(status, headers);
    response.end(response.req.method === 'HEAD' ? undefined : bytes);
  };

  const noStore = (base: Headers, extra: Headers = {}): Headers => ({ ...base, ...extra, 'Cache-Control': 'no-store' });

  /**
   * GETs the object (or one range of it) that HeadObject described. A different ETag means it was
   * replaced in between, and the decision no longer holds: the caller answers 502.
   */
  const getObject = async (key: string, etag: string | undefined, range?: { start: number; end: number }) => {
    const object = await options.s3.send(
      new GetObjectCommand({
        Bucket: options.mediaBucket,
        Key: key,
        ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
      }),
    );
    const body = object.Body as Readable & { transformToByteArray(): Promise<Uint8Array> };
    const rangeStart = /^bytes ([0-9]+)-/.exec(object.ContentRange ?? '')?.[1];
    if (object.ETag !== etag || (range !== undefined && Number(rangeStart) !== range.start)) {
      body.destroy();
      throw new Error(`s3://${options.mediaBucket}/${key} changed while it was served`);
    }
    return body;
  };

  const cache =
    options.cache === false
      ? undefined
      : new EdgeCache(
          {
            head: (key) => options.s3.send(new HeadObjectCommand({ Bucket: options.mediaBucket, Key: key })),
            body: async (key, etag) => Buffer.from(await (await getObject(key, etag)).transformToByteArray()),
          },
          options.cache,
        );

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const method = request.method ?? 'GET';
    const base = policyHeaders(request);

    // 1. The web ACL comes before CloudFront does anything.
    const ip = request.socket.remoteAddress ?? 'unknown';
    const rate = await options.limiter.take(options.rateRule, ip);
    Object.assign(base, rateLimitHeaders(rate));
    if (!rate.allowed) {
      send(response, 429, noStore(base, { 'Content-Type': 'application/json' }), RATE_LIMITED_BODY);
      return;
    }

    // 2. The behaviours allow GET, HEAD and OPTIONS only.
    if (!(PLAYER_ALLOWED_METHODS as readonly string[]).includes(method)) {
      send(response, 403, noStore(base, { 'Content-Type': 'text/plain' }), METHOD_NOT_ALLOWED);
      return;
    }

    // 3. The viewer-request function checks the token and strips it (and any query string).
    let result: Awaited<ReturnType<typeof tokenFunction>>;
    try {
      result = await tokenFunction(viewerRequestEvent(request.url ?? '/', { method, ip }));
    } catch (error) {
      // CloudFront's answer when a function throws.
      options.onFault?.(error);
      send(response, 503, noStore(base, { 'Content-Type': 'text/plain' }), 'The CloudFront function failed.');
      return;
    }
    if ('statusCode' in result) {
      const answer = result as ViewerResponse;
      const headers: Headers = { ...base };
      for (const [name, { value }] of Object.entries(answer.headers ?? {})) headers[name] = value;
      send(response, answer.statusCode, headers, '');
      return;
    }
    const key = result.uri.slice(1);

    // 4. CORS preflight: answered at the edge, never from the origin.
    if (method === 'OPTIONS') {
      send(response, 204, {
        ...base,
        'Access-Control-Allow-Methods': PLAYER_ALLOWED_METHODS.join(', '),
        'Access-Control-Allow-Headers': PLAYER_ALLOWED_HEADERS.join(', '),
        'Access-Control-Max-Age': String(PLAYER_CORS_MAX_AGE_SECONDS),
        'Cache-Control': 'no-store',
      });
      return;
    }

    // 5. The cache, then the origin: a missing key is S3's 403 (no ListBucket), an unreachable S3
    // a 502. The key is the policy's: the path without the token, and Accept-Encoding on manifests.
    const behaviour = behaviourFor(result.uri);
    const ttls = cacheTtlsFor(
      behaviour,
      behaviour === 'manifest' ? options.manifestTtlSeconds : options.mediaTtlSeconds,
    );
    const cacheKey = cacheKeyOf({ ...result, headers: viewerHeaders(request) });
    let found: CacheLookup;
    try {
      found = cache
        ? await cache.lookup(cacheKey, key, (head) => edgeTtlSeconds(ttls, head.CacheControl))
        : {
            outcome: 'Miss',
            head: await options.s3.send(new HeadObjectCommand({ Bucket: options.mediaBucket, Key: key })),
          };
    } catch (error) {
      const errorHeaders = { ...base, 'X-Cache': 'Error from cloudfront' };
      if (isMissingObject(error))
        send(response, 403, noStore(errorHeaders, { 'Content-Type': 'application/xml' }), ACCESS_DENIED_XML);
      else {
        options.onFault?.(error);
        send(response, 502, noStore(errorHeaders, { 'Content-Type': 'text/plain' }), 'Bad Gateway');
      }
      return;
    }
    const head = found.head;
    const cached = found.body;

    // 6. Ranges and conditions, then the body: from the cached whole object, or streamed.
    const size = head.ContentLength ?? 0;
    const manifest = behaviour === 'manifest';
    const decision = decideResponse({
      method,
      size,
      etag: head.ETag,
      lastModified: head.LastModified,
      rangeHeader: request.headers.range,
      ifRangeHeader: single(request.headers['if-range']),
      ifNoneMatchHeader: request.headers['if-none-match'],
      ifModifiedSinceHeader: request.headers['if-modified-since'],
    });
    const compressible = manifest && size >= COMPRESSIBLE_BYTES.min && size <= COMPRESSIBLE_BYTES.max;
    const headers: Headers = {
      ...base,
      'Cache-Control': cacheControlFor(behaviour, ttls.defaultSeconds),
      ...(head.ETag ? { ETag: head.ETag } : {}),
      ...(head.LastModified ? { 'Last-Modified': head.LastModified.toUTCString() } : {}),
      'X-Cache': `${found.outcome} from cloudfront`,
      ...(found.body !== undefined && found.outcome !== 'Miss' ? { Age: String(found.ageSeconds) } : {}),
    };
    // A compressible manifest has two representations; caches must tell them apart.
    if (compressible) headers.Vary = headers.Vary ? `${headers.Vary}, Accept-Encoding` : 'Accept-Encoding';
    // Only whole manifests are compressed; media is compressed already.
    const gzip = compressible && decision.status !== 206 && acceptsGzip(request.headers['accept-encoding']);
    // CloudFront weakens the ETag of what it compresses: the bytes are no longer S3's.
    if (gzip && head.ETag && !head.ETag.startsWith('W/')) headers.ETag = `W/${head.ETag}`;

    if (decision.status === 304) {
      send(response, 304, headers);
      return;
    }
    if (decision.status === 416) {
      send(
        response,
        416,
        noStore(headers, { 'Content-Type': 'application/xml', 'Content-Range': decision.contentRange }),
        INVALID_RANGE_XML,
      );
      return;
    }
    headers['Content-Type'] = head.ContentType ?? 'application/octet-stream';
    headers['Accept-Ranges'] = 'bytes';

    // 7. Compression needs the whole manifest in hand (manifests are small); media is streamed.
    if (decision.status === 200 && gzip) {
      headers['Content-Encoding'] = 'gzip';
      let whole = cached;
      if (whole === undefined) {
        const body = await getObject(key, head.ETag);
        whole = Buffer.from(await body.transformToByteArray());
        cache?.countOriginFetch(cacheKey, whole.length);
      }
      send(response, 200, headers, gzipSync(whole));
      return;
    }
    const range = decision.status === 206 ? decision : undefined;
    const length = range ? range.end - range.start + 1 : size;
    if (range) headers['Content-Range'] = range.contentRange;
    headers['Content-Length'] = String(length);
    if (method === 'HEAD') {
      if (cached === undefined) cache?.countOriginFetch(cacheKey, 0);
      response.writeHead(decision.status, headers);
      response.end();
      return;
    }
    if (cached !== undefined) {
      response.writeHead(decision.status, headers);
      response.end(range ? cached.subarray(range.start, range.end + 1) : cached);
      return;
    }
    // The GET goes out before the headers do, so a failing origin can still be answered 502.
    const body = await getObject(key, head.ETag, range);
    cache?.countOriginFetch(cacheKey, length);
    response.writeHead(decision.status, headers);
    await pipeline(body, exactly(length), response);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      // Before the headers went out the viewer gets a 502; after, the stream is cut short, which
      // is also what a viewer hanging up looks like, so only the first is a fault.
      if (!response.headersSent) {
        options.onFault?.(error);
        send(response, 502, noStore(policyHeaders(request), { 'Content-Type': 'text/plain' }), 'Bad Gateway');
      } else response.destroy();
    });
  });
  const listening = await listenOnLoopback(server, options.port);
  return { ...listening, cacheStats: () => cache?.stats() };
}

/** The viewer's request headers as CloudFront hands them to the cache key: lower-case names. */
function viewerHeaders(request: IncomingMessage): Record<string, { value: string }> {
  const headers: Record<string, { value: string }> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = { value: Array.isArray(value) ? value.join(', ') : value };
  }
  return headers;
}

const single = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(', ') : value;
