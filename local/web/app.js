// The local twin's page: sign in by name, upload by presigned multipart URLs (resumable after a
// reload), list your videos and play them from the CDN edge. No framework and no build step:
// plain ES modules, each keeping its own state; this entry signs in and out and wires them.

import { api, endSession, onSessionExpired, session, startSession } from './api.js';
import { $, report, setStatus } from './dom.js';
import { clearVideos, initList, loadVideos } from './list.js';
import { initPlayer, stopPlayer } from './player.js';
import { checkPending, clearUploads, initUpload, uploading } from './upload.js';

async function signIn(event) {
  event.preventDefault();
  const name = $('name').value.trim();
  const answer = name && (await api('POST', '/dev/tokens', { sub: name }).catch(report));
  if (!answer) return;
  startSession(name, answer.token);
  setStatus(`Signed in as ${name}.`);
  showAccount();
}

function signOut(message = 'Signed out.', isError = false) {
  endSession();
  clearUploads();
  clearVideos();
  stopPlayer();
  showAccount();
  setStatus(message, isError);
}

function showAccount() {
  const signedIn = session.token !== null;
  $('who').textContent = signedIn ? `Signed in as ${session.name}` : '';
  $('account').hidden = !signedIn;
  $('signed-in').hidden = !signedIn;
  $('sign-in-section').hidden = signedIn;
  if (!signedIn) return;
  loadVideos();
  checkPending();
}

function init() {
  onSessionExpired(() => signOut('Your session expired, sign in again.', true));
  initUpload({ onVideosChanged: () => loadVideos() });
  initList();
  initPlayer();
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => signOut());
  document.addEventListener('visibilitychange', () => !document.hidden && session.token && loadVideos());
  window.addEventListener('beforeunload', (event) => uploading() && event.preventDefault());
  if (session.token) showAccount(); // an expired token answers 401, which signs out
}

init();
