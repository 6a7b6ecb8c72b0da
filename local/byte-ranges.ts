import parseRange from 'range-parser';

/**
 * What the CDN answers a GET or HEAD of an object, given the request's Range and conditional
 * headers: the decisions CloudFront in front of S3 makes, as one pure function so they can be
 * property-tested apart from any server. The edge then only carries them out.
 */

export interface ObjectRequest {
  readonly method: string;
  /** The object's size in bytes. */
  readonly size: number;
  /** The object's ETag as S3 gives it, quoted (`"…"`), or weak (`W/"…"`). */
  readonly etag?: string;
  readonly lastModified?: Date;
  readonly rangeHeader?: string;
  readonly ifRangeHeader?: string;
  readonly ifNoneMatchHeader?: string;
  readonly ifModifiedSinceHeader?: string;
}

export type ResponseDecision =
  | { readonly status: 200 }
  | { readonly status: 206; readonly start: number; readonly end: number; readonly contentRange: string }
  | { readonly status: 304 }
  | { readonly status: 416; readonly contentRange: string };

/** Decides between 304, 416, 206 (one range) and 200 (the whole object). Never throws. */
export function decideResponse(request: ObjectRequest): ResponseDecision {
  if (request.method !== 'GET' && request.method !== 'HEAD') return { status: 200 };
  if (notModified(request)) return { status: 304 };
  if (request.rangeHeader === undefined) return { status: 200 };
  if (request.ifRangeHeader !== undefined && !ifRangeHolds(request.ifRangeHeader, request)) return { status: 200 };
  const range = singleRange(request.size, request.rangeHeader);
  if (range === 'ignore') return { status: 200 };
  if (range === 'unsatisfiable') return { status: 416, contentRange: `bytes */${request.size}` };
  return { status: 206, ...range, contentRange: `bytes ${range.start}-${range.end}/${request.size}` };
}

/** If-None-Match wins over If-Modified-Since, which counts only without it (RFC 9110 13.2.2). */
function notModified(request: ObjectRequest): boolean {
  if (request.ifNoneMatchHeader !== undefined) {
    return request.etag !== undefined && noneMatchListHas(request.ifNoneMatchHeader, request.etag);
  }
  const since = httpDate(request.ifModifiedSinceHeader);
  return since !== undefined && request.lastModified !== undefined && wholeSeconds(request.lastModified) <= since;
}

const ENTITY_TAG = /^(W\/)?("[\x21\x23-\x7e\x80-\xff]*")$/;

/** The opaque part of an entity tag (quotes included), or undefined when it is not one. */
function opaqueTag(tag: string): string | undefined {
  return ENTITY_TAG.exec(tag.trim())?.[2];
}

/** Weak comparison against a list of entity tags, or `*` for any current object. */
function noneMatchListHas(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const current = opaqueTag(etag);
  return current !== undefined && header.split(',').some((tag) => opaqueTag(tag) === current);
}

/**
 * If-Range holds for the strong ETag itself (a weak one never matches), or for a date not earlier
 * than Last-Modified, compared in whole seconds as HTTP dates are.
 */
function ifRangeHolds(header: string, request: ObjectRequest): boolean {
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    const etag = request.etag;
    return etag !== undefined && !etag.startsWith('W/') && ENTITY_TAG.test(value) && value === etag;
  }
  const date = httpDate(value);
  return date !== undefined && request.lastModified !== undefined && wholeSeconds(request.lastModified) <= date;
}

/**
 * An HTTP-date (IMF-fixdate, RFC 850 or asctime) as Unix seconds; undefined when absent or not a
 * date. The shape check keeps Date.parse from reading a stray number as a year.
 */
function httpDate(value: string | undefined): number | undefined {
  if (value === undefined || !/^[A-Za-z]{3,9},? [0-9A-Za-z :-]+$/.test(value.trim())) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

const wholeSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

const SUFFIX_SPEC = /^\s*-\s*([0-9]+)\s*$/;

/**
 * The one byte range a Range header asks for. Several ranges, another unit or bad syntax: the
 * header is ignored, as S3 serves no multipart/byteranges.
 */
function singleRange(size: number, header: string): { start: number; end: number } | 'ignore' | 'unsatisfiable' {
  const equals = header.indexOf('=');
  if (equals === -1 || header.slice(0, equals).trim().toLowerCase() !== 'bytes') return 'ignore';
  let spec = header.slice(equals + 1);
  if (spec.includes(',')) return 'ignore';
  // range-parser refuses a suffix longer than the object; RFC 9110 serves the whole object.
  const suffix = SUFFIX_SPEC.exec(spec);
  if (suffix && Number(suffix[1]) > size) spec = `-${size}`;
  const ranges = parseRange(size, `bytes=${spec}`);
  if (ranges === -2) return 'ignore';
  if (ranges === -1) return 'unsatisfiable';
  const [range] = ranges;
  return range === undefined ? 'unsatisfiable' : { start: range.start, end: range.end };
}
