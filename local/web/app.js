// The local twin's page: sign in by name, upload by presigned multipart URLs (resumable after a
// reload), list your videos and play them from the CDN edge. No framework and no build step.

const TOKEN_KEY = 'vod.token';
const NAME_KEY = 'vod.name';
const PENDING_KEY = 'vod.pendingUploads';
const PARALLEL_PARTS = 4;
const PART_RETRIES = 3;
const REFRESH_MS = 3000;
const PAGE_SIZE = 20;
/** Fetch fresh part URLs this long before the old ones expire, so no part is sent too late. */
const URL_MARGIN_MS = 60_000;
const TYPES = {
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  m4v: 'video/x-m4v',
};

const $ = (id) => document.getElementById(id);

const state = {
  token: localStorage.getItem(TOKEN_KEY),
  name: localStorage.getItem(NAME_KEY),
  videos: [],
  nextCursor: null,
  listing: null,
  relist: false,
  refreshTimer: 0,
  transfer: null,
  defaultTitle: '',
  hls: null,
  playingId: null,
};

const failure = (status, message, code) => Object.assign(new Error(message), { status, code });
/** Why an upload stopped when the user stopped it (signed out, deleted the video): not worth a message. */
const STOPPED = new Error('The upload was stopped.');

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function button(text, className, label, onClick) {
  const node = el('button', { type: 'button', className, textContent: text });
  node.setAttribute('aria-label', label);
  node.addEventListener('click', onClick);
  return node;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const videoPath = (id) => `/videos/${encodeURIComponent(id)}`;

function formatBytes(bytes) {
  const power = Math.min(4, Math.floor(Math.log10(Math.max(bytes, 1)) / 3));
  return `${(bytes / 1000 ** power).toFixed(power > 0 ? 1 : 0)} ${['B', 'KB', 'MB', 'GB', 'TB'][power]}`;
}

const formatDuration = (seconds) =>
  new Date(Math.round(seconds) * 1000)
    .toISOString()
    .slice(seconds >= 3600 ? 11 : 14, 19)
    .replace(/^0/, '');

const baseName = (fileName) => fileName.replace(/\.[^.]+$/, '') || fileName;

function contentTypeOf(file) {
  if (file.type.startsWith('video/')) return file.type;
  const extension = file.name.split('.').pop().toLowerCase();
  return TYPES[extension] ?? (file.type || 'application/octet-stream');
}

function setStatus(message, isError = false) {
  $('status').textContent = message;
  $('status').classList.toggle('error', isError);
}

/** A 401 has already signed the user out with its own message; do not bury it. */
function report(error, suffix = '') {
  if (error.status !== 401) setStatus(`${error.message}${suffix}`, true);
}

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw failure(0, 'The API cannot be reached; is the twin running?', 'NETWORK');
  }
  if (response.status === 204) return null;
  const payload = await response.json().catch(() => null);
  if (response.ok) return payload;
  if (response.status === 401 && state.token) signOut('Your session expired, sign in again.', true);
  const error = payload?.error ?? {};
  let message = error.message ?? `${method} ${path} answered ${response.status}.`;
  const retryAfter = response.headers.get('Retry-After');
  if (response.status === 429 && retryAfter) message += ` Retry in ${retryAfter} s.`;
  throw failure(response.status, message, error.code);
}

async function signIn(event) {
  event.preventDefault();
  const name = $('name').value.trim();
  const answer = name && (await api('POST', '/dev/tokens', { sub: name }).catch(report));
  if (!answer) return;
  localStorage.setItem(TOKEN_KEY, answer.token);
  localStorage.setItem(NAME_KEY, name);
  Object.assign(state, { token: answer.token, name });
  setStatus(`Signed in as ${name}.`);
  showAccount();
}

function signOut(message = 'Signed out.', isError = false) {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(NAME_KEY);
  if (state.transfer) halt(state.transfer, STOPPED);
  clearTimeout(state.refreshTimer);
  stopPlayer();
  Object.assign(state, { token: null, name: null, videos: [], nextCursor: null });
  $('videos').replaceChildren();
  $('pending').replaceChildren();
  $('transfer').hidden = true;
  showAccount();
  setStatus(message, isError);
}

function showAccount() {
  const signedIn = state.token !== null;
  $('who').textContent = signedIn ? `Signed in as ${state.name}` : '';
  $('account').hidden = !signedIn;
  $('signed-in').hidden = !signedIn;
  $('sign-in-section').hidden = signedIn;
  if (!signedIn) return;
  loadVideos();
  checkPending();
}

const readPending = () => JSON.parse(localStorage.getItem(PENDING_KEY) ?? '{}');
const savePending = (record) =>
  localStorage.setItem(PENDING_KEY, JSON.stringify({ ...readPending(), [record.videoId]: record }));
const dropPending = (videoId) =>
  localStorage.setItem(PENDING_KEY, JSON.stringify({ ...readPending(), [videoId]: undefined }));

const myPending = () => Object.values(readPending()).filter((record) => record.owner === state.name);

/** Drops records whose video is gone or past UPLOADING, e.g. completed or deleted in another tab. */
async function checkPending() {
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
  const busy = state.transfer !== null;
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
  if (!state.token) return;
  const activeId = state.transfer?.videoId;
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
      const upload = await api('GET', `${videoPath(record.videoId)}/upload`);
      return { videoId: record.videoId, ...upload };
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
  loadVideos();
}

async function startUpload(event) {
  event.preventDefault();
  const file = $('file').files[0];
  if (!file || state.transfer) return;
  const body = {
    title: $('title').value.trim() || baseName(file.name).slice(0, 200),
    visibility: $('visibility').value,
    fileName: file.name,
    contentType: contentTypeOf(file),
    sizeBytes: file.size,
  };
  const ok = await runTransfer(file, async () => {
    const { video, upload } = await api('POST', '/videos', body);
    const { size, lastModified } = file;
    savePending({ videoId: video.id, owner: state.name, fileName: file.name, size, lastModified, title: body.title });
    loadVideos();
    return { videoId: video.id, ...upload, uploadedParts: [] };
  });
  if (ok) {
    $('upload-form').reset();
    state.defaultTitle = '';
  }
}

/**
 * Runs one upload, new or resumed: `prepare` answers the plan (part size, the parts still to
 * send with their URLs, the parts already uploaded). One upload at a time keeps the progress
 * bar honest and leaves the bandwidth to it.
 */
async function runTransfer(file, prepare) {
  const transfer = { videoId: null, file, xhrs: new Set(), halted: null };
  state.transfer = transfer;
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
    if (state.transfer === transfer) state.transfer = null;
    setBusy(false);
    renderPending();
    loadVideos();
  }
}

/** Stops every part in flight: the first error (or the user) stops the whole upload. */
function halt(transfer, reason) {
  transfer.halted ??= reason;
  for (const xhr of transfer.xhrs) xhr.abort();
}

function setBusy(busy) {
  $('upload').disabled = busy;
  $('file').disabled = busy;
  for (const control of $('pending').querySelectorAll('input, button')) control.disabled = busy;
}

async function sendParts(transfer, plan) {
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

async function fetchPages(wanted, cursor) {
  const items = [];
  let next = cursor;
  do {
    const query = new URLSearchParams({ limit: String(Math.min(100, Math.max(PAGE_SIZE, wanted - items.length))) });
    if (next) query.set('cursor', next);
    const page = await api('GET', `/videos?${query}`);
    items.push(...page.items);
    next = page.nextCursor;
  } while (next && items.length < wanted);
  return { items, next };
}

/**
 * Reloads as many videos as are shown, or with `more` appends the next page. One load at a time:
 * a refresh asked for during a load runs once after it, so the list never shows a stale answer.
 */
async function loadVideos(more = false) {
  if (state.listing) {
    state.relist ||= !more;
    return;
  }
  const token = state.token;
  if (!token || (more && !state.nextCursor)) return;
  state.listing = more ? fetchPages(PAGE_SIZE, state.nextCursor) : fetchPages(Math.max(state.videos.length, PAGE_SIZE));
  try {
    const { items, next } = await state.listing;
    const kept = more ? state.videos : [];
    const shown = new Set(kept.map((video) => video.id));
    if (state.token === token)
      Object.assign(state, { videos: [...kept, ...items.filter((v) => !shown.has(v.id))], nextCursor: next });
    renderVideos();
  } catch (error) {
    report(error);
  }
  state.listing = null;
  if (!state.relist) return scheduleRefresh();
  state.relist = false;
  return loadVideos();
}

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  const busy = state.videos.some((video) => video.status === 'UPLOADING' || video.status === 'PROCESSING');
  if (state.token && busy)
    state.refreshTimer = setTimeout(() => (document.hidden ? scheduleRefresh() : loadVideos()), REFRESH_MS);
}

function describe(video) {
  const facts = [video.visibility, formatBytes(video.sizeBytes)];
  if (video.durationSeconds !== undefined) facts.push(formatDuration(video.durationSeconds));
  facts.push(new Date(video.createdAt).toLocaleString());
  return facts.join(' · ');
}

function videoItem(video) {
  const status = el('span', { className: `video-status ${video.status.toLowerCase()}`, textContent: video.status });
  const li = el(
    'li',
    { className: 'video' },
    el('div', { className: 'row between' }, el('h3', { className: 'video-title', textContent: video.title }), status),
    el('p', { className: 'meta', textContent: describe(video) }),
  );
  li.dataset.videoId = video.id;
  li.dataset.status = video.status;
  if (video.status === 'FAILED' && video.error)
    li.append(el('p', { className: 'error', textContent: `${video.error.message} (${video.error.code})` }));
  const actions = el('div', { className: 'actions' });
  if (video.status === 'READY') actions.append(button('Play', 'play', `Play ${video.title}`, () => play(video)));
  actions.append(button('Delete', 'delete', `Delete ${video.title}`, () => deleteVideo(video)));
  li.append(actions);
  return li;
}

const renderedAs = new WeakMap();

/** Updates the list in place: unchanged items (and the focus on their buttons) stay put. */
function renderVideos() {
  const list = $('videos');
  const old = new Map([...list.children].map((li) => [li.dataset.videoId, li]));
  state.videos.forEach((video, index) => {
    const key = JSON.stringify(video);
    let li = old.get(video.id);
    old.delete(video.id);
    if (renderedAs.get(li) !== key) {
      const fresh = videoItem(video);
      renderedAs.set(fresh, key);
      li?.replaceWith(fresh);
      li = fresh;
    }
    if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null);
  });
  for (const li of old.values()) li.remove();
  $('videos-empty').hidden = state.videos.length > 0;
  $('more').hidden = !state.nextCursor;
}

async function deleteVideo(video) {
  if (!confirm(`Delete “${video.title}”? This cannot be undone.`)) return;
  if (state.transfer?.videoId === video.id) halt(state.transfer, STOPPED);
  const error = await api('DELETE', videoPath(video.id)).catch((failed) => failed);
  if (error && error.status !== 404) return report(error);
  if (state.playingId === video.id) stopPlayer();
  dropPending(video.id);
  renderPending();
  setStatus(`Deleted “${video.title}”.`);
  loadVideos();
}

function stopPlayer() {
  state.hls?.destroy();
  state.hls = null;
  state.playingId = null;
  const player = $('player');
  player.removeAttribute('src');
  player.removeAttribute('poster');
  player.load();
  $('player-error').hidden = true;
  $('player-section').hidden = true;
}

function showPlayerError(message) {
  $('player-error').textContent = message;
  $('player-error').hidden = false;
  setStatus(message, true);
}

async function play(video) {
  const playback = await api('GET', `${videoPath(video.id)}/playback`).catch(report);
  if (!playback) return;
  stopPlayer();
  const player = $('player');
  state.playingId = video.id;
  $('player-section').hidden = false;
  $('player-section').scrollIntoView({ block: 'nearest' });
  $('now-playing').textContent = video.title;
  $('download').href = playback.mp4;
  player.poster = playback.thumbnail;
  const Hls = window.Hls;
  if (Hls?.isSupported()) {
    const hls = new Hls();
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (data.fatal) showPlayerError(`Playback failed (${data.type}: ${data.details}).`);
    });
    hls.loadSource(playback.hls);
    hls.attachMedia(player);
    state.hls = hls;
  } else if (player.canPlayType('application/vnd.apple.mpegurl')) {
    player.src = playback.hls;
  } else {
    return showPlayerError('This browser cannot play HLS; download the MP4 instead.');
  }
  setStatus(`Playing “${video.title}”.`);
  player.play().catch(() => {}); // Autoplay may be refused; the controls are there.
}

function onNativeError() {
  const error = $('player').error;
  if (!state.hls && state.playingId && error)
    showPlayerError(`Playback failed (${error.message || `media error ${error.code}`}).`);
}

function onFileChosen() {
  const file = $('file').files[0];
  const title = $('title');
  if (file && (title.value === '' || title.value === state.defaultTitle)) {
    state.defaultTitle = baseName(file.name).slice(0, 200);
    title.value = state.defaultTitle;
  }
}

function init() {
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => signOut());
  $('upload-form').addEventListener('submit', startUpload);
  $('file').addEventListener('change', onFileChosen);
  $('refresh').addEventListener('click', () => loadVideos());
  $('more').addEventListener('click', () => loadVideos(true));
  $('player').addEventListener('error', onNativeError);
  document.addEventListener('visibilitychange', () => !document.hidden && state.token && loadVideos());
  window.addEventListener('beforeunload', (event) => state.transfer && event.preventDefault());
  if (state.token) showAccount(); // an expired token answers 401, which signs out
}

init();
