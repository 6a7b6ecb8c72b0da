// The signed-in user's videos and their status, newest first, paged, and refreshed every few
// seconds while one of them is still uploading or processing.

import { api, session, videoPath } from './api.js';
import { $, button, el, formatBytes, report, setStatus } from './dom.js';
import { isPlaying, play, stopPlayer } from './player.js';
import { forgetUpload, stopUpload } from './upload.js';

const REFRESH_MS = 3000;
const PAGE_SIZE = 20;

/** What is shown, the load under way, and whether a reload was asked for during it. */
const list = { videos: [], nextCursor: null, listing: null, relist: false, refreshTimer: 0 };

const formatDuration = (seconds) =>
  new Date(Math.round(seconds) * 1000)
    .toISOString()
    .slice(seconds >= 3600 ? 11 : 14, 19)
    .replace(/^0/, '');

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
export async function loadVideos(more = false) {
  if (list.listing) {
    list.relist ||= !more;
    return;
  }
  const token = session.token;
  if (!token || (more && !list.nextCursor)) return;
  list.listing = more ? fetchPages(PAGE_SIZE, list.nextCursor) : fetchPages(Math.max(list.videos.length, PAGE_SIZE));
  try {
    const { items, next } = await list.listing;
    const kept = more ? list.videos : [];
    const shown = new Set(kept.map((video) => video.id));
    if (session.token === token)
      Object.assign(list, { videos: [...kept, ...items.filter((v) => !shown.has(v.id))], nextCursor: next });
    renderVideos();
  } catch (error) {
    report(error);
  }
  list.listing = null;
  if (!list.relist) return scheduleRefresh();
  list.relist = false;
  return loadVideos();
}

function scheduleRefresh() {
  clearTimeout(list.refreshTimer);
  const busy = list.videos.some((video) => video.status === 'UPLOADING' || video.status === 'PROCESSING');
  if (session.token && busy)
    list.refreshTimer = setTimeout(() => (document.hidden ? scheduleRefresh() : loadVideos()), REFRESH_MS);
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
  const shownList = $('videos');
  const old = new Map([...shownList.children].map((li) => [li.dataset.videoId, li]));
  list.videos.forEach((video, index) => {
    const key = JSON.stringify(video);
    let li = old.get(video.id);
    old.delete(video.id);
    if (renderedAs.get(li) !== key) {
      const fresh = videoItem(video);
      renderedAs.set(fresh, key);
      li?.replaceWith(fresh);
      li = fresh;
    }
    if (shownList.children[index] !== li) shownList.insertBefore(li, shownList.children[index] ?? null);
  });
  for (const li of old.values()) li.remove();
  $('videos-empty').hidden = list.videos.length > 0;
  $('more').hidden = !list.nextCursor;
}

async function deleteVideo(video) {
  if (!confirm(`Delete “${video.title}”? This cannot be undone.`)) return;
  stopUpload(video.id);
  const error = await api('DELETE', videoPath(video.id)).catch((failed) => failed);
  if (error && error.status !== 404) return report(error);
  if (isPlaying(video.id)) stopPlayer();
  forgetUpload(video.id);
  setStatus(`Deleted “${video.title}”.`);
  loadVideos();
}

/** On sign-out: nothing of the last user's list stays, and no refresh is pending. */
export function clearVideos() {
  clearTimeout(list.refreshTimer);
  Object.assign(list, { videos: [], nextCursor: null });
  $('videos').replaceChildren();
}

export function initList() {
  $('refresh').addEventListener('click', () => loadVideos());
  $('more').addEventListener('click', () => loadVideos(true));
}
