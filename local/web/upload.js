// Uploading: the form, one transfer at a time, and the unfinished uploads, kept in localStorage so
// that one can be resumed after a reload by picking the same file again.

import { api, session, videoPath } from './api.js';
import { $, button, el, formatBytes, report, setStatus } from './dom.js';
import { halt, newTransfer, STOPPED, sendParts } from './parts.js';

const PENDING_KEY = 'vod.pendingUploads';
const TYPES = {
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  m4v: 'video/x-m4v',
};

/** The transfer under way, if any, and the title the form filled in from the file's name. */
const upload = { transfer: null, defaultTitle: '' };
/** Told when a video was created, finished or aborted here, so the list can show it. */
let videosChanged = () => {};

const baseName = (fileName) => fileName.replace(/\.[^.]+$/, '') || fileName;

function contentTypeOf(file) {
  if (file.type.startsWith('video/')) return file.type;
  const extension = file.name.split('.').pop().toLowerCase();
  return TYPES[extension] ?? (file.type || 'application/octet-stream');
}

const readPending = () => JSON.parse(localStorage.getItem(PENDING_KEY) ?? '{}');
const savePending = (record) =>
  localStorage.setItem(PENDING_KEY, JSON.stringify({ ...readPending(), [record.videoId]: record }));
const dropPending = (videoId) =>
  localStorage.setItem(PENDING_KEY, JSON.stringify({ ...readPending(), [videoId]: undefined }));

const myPending = () => Object.values(readPending()).filter((record) => record.owner === session.name);

/** Drops records whose video is gone or past UPLOADING, e.g. completed or deleted in another tab. */
export async function checkPending() {
  await Promise.all(
    myPending().map(async (record) => {
      try {
        const { video } = await api('GET', videoPath(record.videoId));
        if (video.status !== 'UPLOADING') dropPending(record.videoId);
      } catch (error) {
        if (error.status === 404) dropPending(record.videoId);
      }
    }),
  );
  renderPending();
}

function pendingItem(record) {
  const busy = upload.transfer !== null;
  const input = el('input', { type: 'file', accept: 'video/*', className: 'resume-file', disabled: busy });
  input.id = `resume-${record.videoId}`;
  input.addEventListener('change', () => input.files[0] && resume(record, input.files[0]));
  const abort = button('Abort', 'abort', `Abort the upload of ${record.fileName}`, () => abortPending(record));
  abort.disabled = busy;
  const li = el(
    'li',
    {},
    el('p', { className: 'pending-name', textContent: `Resume ${record.fileName}` }),
    el('p', { className: 'meta', textContent: `“${record.title}”, ${formatBytes(record.size)}` }),
    el(
      'div',
      { className: 'row' },
      el('label', { htmlFor: input.id, textContent: `Pick ${record.fileName} again` }),
      input,
      abort,
    ),
  );
  li.dataset.videoId = record.videoId;
  return li;
}

function renderPending() {
  if (!session.token) return;
  const activeId = upload.transfer?.videoId;
  const records = myPending().filter((record) => record.videoId !== activeId);
  $('pending').replaceChildren(...records.map(pendingItem));
  $('pending-section').hidden = records.length === 0;
}

async function resume(record, file) {
  if (file.name !== record.fileName || file.size !== record.size || file.lastModified !== record.lastModified) {
    const when = new Date(record.lastModified).toLocaleString();
    const wanted = `${record.fileName} (${record.size} bytes, last modified ${when})`;
    setStatus(`That is not the file this upload started with: pick ${wanted}, or abort if it changed since.`, true);
    return renderPending();
  }
  await runTransfer(file, async () => {
    try {
      const plan = await api('GET', `${videoPath(record.videoId)}/upload`);
      return { videoId: record.videoId, ...plan };
    } catch (error) {
      if (error.status === 404 || error.status === 409) dropPending(record.videoId);
      throw error;
    }
  });
}

async function abortPending(record) {
  if (!confirm(`Abort the upload of ${record.fileName}? The parts sent so far are discarded.`)) return;
  const error = await api('DELETE', `${videoPath(record.videoId)}/upload`).catch((failed) => failed);
  if (error && error.status !== 404 && error.status !== 409) return report(error);
  setStatus(`Aborted the upload of ${record.fileName}.`);
  dropPending(record.videoId);
  renderPending();
  videosChanged();
}

async function startUpload(event) {
  event.preventDefault();
  const file = $('file').files[0];
  if (!file || upload.transfer) return;
  const body = {
    title: $('title').value.trim() || baseName(file.name).slice(0, 200),
    visibility: $('visibility').value,
    fileName: file.name,
    contentType: contentTypeOf(file),
    sizeBytes: file.size,
  };
  const ok = await runTransfer(file, async () => {
    const { video, upload: plan } = await api('POST', '/videos', body);
    const { size, lastModified } = file;
    savePending({ videoId: video.id, owner: session.name, fileName: file.name, size, lastModified, title: body.title });
    videosChanged();
    return { videoId: video.id, ...plan, uploadedParts: [] };
  });
  if (ok) {
    $('upload-form').reset();
    upload.defaultTitle = '';
  }
}

/**
 * Runs one upload, new or resumed: `prepare` answers the plan (part size, the parts still to
 * send with their URLs, the parts already uploaded). One upload at a time keeps the progress
 * bar honest and leaves the bandwidth to it.
 */
async function runTransfer(file, prepare) {
  const transfer = newTransfer(file);
  upload.transfer = transfer;
  setBusy(true);
  try {
    setStatus(`Starting the upload of ${file.name}…`);
    const plan = await prepare();
    transfer.videoId = plan.videoId;
    renderPending();
    const parts = await sendParts(transfer, plan);
    setStatus('Finishing the upload…');
    await api('POST', `${videoPath(plan.videoId)}/upload/complete`, { parts });
    dropPending(plan.videoId);
    setStatus(`Uploaded ${file.name}; it is being processed.`);
    return true;
  } catch (error) {
    const id = transfer.videoId;
    if (id && (error.status === 404 || error.status === 409)) dropPending(id);
    if (error !== STOPPED) report(error, id && readPending()[id] ? ' You can resume it below.' : '');
    return false;
  } finally {
    if (upload.transfer === transfer) upload.transfer = null;
    setBusy(false);
    renderPending();
    videosChanged();
  }
}

function setBusy(busy) {
  $('upload').disabled = busy;
  $('file').disabled = busy;
  for (const control of $('pending').querySelectorAll('input, button')) control.disabled = busy;
}

function onFileChosen() {
  const file = $('file').files[0];
  const title = $('title');
  if (file && (title.value === '' || title.value === upload.defaultTitle)) {
    upload.defaultTitle = baseName(file.name).slice(0, 200);
    title.value = upload.defaultTitle;
  }
}

export const uploading = () => upload.transfer !== null;

/** Stops the transfer of this video, if it is the one under way (the video is being deleted). */
export function stopUpload(videoId) {
  if (upload.transfer?.videoId === videoId) halt(upload.transfer, STOPPED);
}

/** Forgets the unfinished upload of a video that is gone. */
export function forgetUpload(videoId) {
  dropPending(videoId);
  renderPending();
}

/** On sign-out: stops the transfer and empties what this user saw. */
export function clearUploads() {
  if (upload.transfer) halt(upload.transfer, STOPPED);
  $('pending').replaceChildren();
  $('transfer').hidden = true;
}

export function initUpload({ onVideosChanged }) {
  videosChanged = onVideosChanged;
  $('upload-form').addEventListener('submit', startUpload);
  $('file').addEventListener('change', onFileChosen);
}
