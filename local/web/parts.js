// Sending an upload's parts straight to S3 by their presigned URLs: four at a time, each retried,
// with fresh URLs before the old ones expire, and the progress bar.

import { api, videoPath } from './api.js';
import { $, formatBytes } from './dom.js';

const PARALLEL_PARTS = 4;
const PART_RETRIES = 3;
/** Fetch fresh part URLs this long before the old ones expire, so no part is sent too late. */
const URL_MARGIN_MS = 60_000;

/** Why an upload stopped when the user stopped it (signed out, deleted the video): not worth a message. */
export const STOPPED = new Error('The upload was stopped.');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One upload's parts in flight; `videoId` is known once the upload is planned. */
export const newTransfer = (file) => ({ videoId: null, file, xhrs: new Set(), halted: null });

/** Stops every part in flight: the first error (or the user) stops the whole upload. */
export function halt(transfer, reason) {
  transfer.halted ??= reason;
  for (const xhr of transfer.xhrs) xhr.abort();
}

/** Sends the parts `plan` still lacks; answers every part's number and ETag, in order. */
export async function sendParts(transfer, plan) {
  const etags = new Map(plan.uploadedParts.map((part) => [part.partNumber, part.etag]));
  const already = plan.uploadedParts.reduce((sum, part) => sum + part.sizeBytes, 0);
  const progress = startProgress(transfer.file, already);
  const queue = [...plan.parts];
  const worker = async () => {
    for (let part = queue.shift(); part && !transfer.halted; part = queue.shift())
      etags.set(part.partNumber, await sendPart(transfer, plan, part, progress));
  };
  try {
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, queue.length) }, worker));
  } catch (error) {
    halt(transfer, error);
  }
  if (transfer.halted) throw transfer.halted;
  return [...etags].map(([partNumber, etag]) => ({ partNumber, etag })).sort((a, b) => a.partNumber - b.partNumber);
}

async function sendPart(transfer, plan, part, progress) {
  const start = (part.partNumber - 1) * plan.partSize;
  const bytes = transfer.file.slice(start, Math.min(start + plan.partSize, transfer.file.size));
  for (let attempt = 0; ; attempt++) {
    try {
      if (transfer.halted) throw transfer.halted; // stopped while waiting to retry
      const url = await partUrl(plan, part);
      return await putPart(transfer, url, bytes, (loaded) => progress(part.partNumber, loaded));
    } catch (error) {
      progress(part.partNumber, 0);
      if (transfer.halted) throw transfer.halted;
      if (attempt >= PART_RETRIES) {
        error.message = `Part ${part.partNumber} failed ${attempt + 1} times: ${error.message}`;
        throw error;
      }
      // A 403 is most likely an expired signature: take fresh URLs before the next attempt.
      if (error.status === 403) plan.expiresAt = new Date(0).toISOString();
      await sleep(500 * 2 ** attempt);
    }
  }
}

/** The part's URL, refreshed through GET /videos/{id}/upload when the signatures near expiry. */
async function partUrl(plan, part) {
  if (Date.parse(plan.expiresAt) - Date.now() > URL_MARGIN_MS) return part.url;
  plan.refreshing ??= api('GET', `${videoPath(plan.videoId)}/upload`)
    .then((fresh) => {
      const urls = new Map(fresh.parts.map((p) => [p.partNumber, p.url]));
      for (const p of plan.parts) p.url = urls.get(p.partNumber) ?? p.url;
      plan.expiresAt = fresh.expiresAt;
    })
    .finally(() => {
      plan.refreshing = null;
    });
  await plan.refreshing;
  return part.url;
}

/** One PUT by XMLHttpRequest, since fetch reports no upload progress. */
function putPart(transfer, url, bytes, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    transfer.xhrs.add(xhr);
    const fail = (status, message) => reject(Object.assign(new Error(message), { status }));
    xhr.addEventListener('loadend', () => transfer.xhrs.delete(xhr));
    xhr.upload.addEventListener('progress', (event) => onProgress(event.loaded));
    xhr.addEventListener('load', () => {
      const etag = xhr.getResponseHeader('ETag');
      const detail = /<Message>([^<]*)<\/Message>/.exec(xhr.responseText)?.[1] ?? '';
      if (xhr.status < 200 || xhr.status > 299)
        return fail(xhr.status, `the storage server answered ${xhr.status}${detail && `: ${detail}`}.`);
      if (!etag) return fail(xhr.status, 'the storage server did not expose the ETag header (CORS).');
      onProgress(bytes.size);
      resolve(etag);
    });
    xhr.addEventListener('error', () => fail(0, 'the storage server cannot be reached.'));
    xhr.addEventListener('abort', () => fail(0, 'stopped.'));
    xhr.open('PUT', url);
    xhr.send(bytes);
  });
}

/**
 * Overall progress is the bytes already stored plus what each part in flight has sent; a part
 * that is retried starts again from zero. The rate counts every byte put on the wire since the
 * start, retries included, since that is the speed of the link.
 */
function startProgress(file, already) {
  const loaded = new Map();
  const started = performance.now();
  let wire = 0;
  $('transfer').hidden = false;
  $('transfer-label').textContent = `Uploading ${file.name}`;
  $('progress').max = file.size;
  const update = (partNumber, bytes) => {
    wire += Math.max(0, bytes - (loaded.get(partNumber) ?? 0));
    loaded.set(partNumber, bytes);
    const sent = [...loaded.values()].reduce((sum, n) => sum + n, already);
    const rate = wire / 1e6 / Math.max((performance.now() - started) / 1000, 0.001);
    $('progress').value = sent;
    const percent = Math.floor((sent / file.size) * 100);
    $('progress-text').textContent =
      `${formatBytes(sent)} of ${formatBytes(file.size)} (${percent}%), ${rate.toFixed(1)} MB/s`;
  };
  update(0, 0);
  return update;
}
