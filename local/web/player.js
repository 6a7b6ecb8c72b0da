// The player: a ready video's HLS through the CDN edge with hls.js (or the browser's own HLS),
// its thumbnail as the poster, and its MP4 to download.

import { api, videoPath } from './api.js';
import { $, report, setStatus } from './dom.js';

/** The hls.js instance in use, if any, and the video it plays. */
const player = { hls: null, playingId: null };

export const isPlaying = (videoId) => player.playingId === videoId;

export function stopPlayer() {
  player.hls?.destroy();
  player.hls = null;
  player.playingId = null;
  const media = $('player');
  media.removeAttribute('src');
  media.removeAttribute('poster');
  media.load();
  $('player-error').hidden = true;
  $('player-section').hidden = true;
}

function showPlayerError(message) {
  $('player-error').textContent = message;
  $('player-error').hidden = false;
  setStatus(message, true);
}

export async function play(video) {
  const playback = await api('GET', `${videoPath(video.id)}/playback`).catch(report);
  if (!playback) return;
  stopPlayer();
  const media = $('player');
  player.playingId = video.id;
  $('player-section').hidden = false;
  $('player-section').scrollIntoView({ block: 'nearest' });
  $('now-playing').textContent = video.title;
  $('download').href = playback.mp4;
  media.poster = playback.thumbnail;
  const Hls = window.Hls;
  if (Hls?.isSupported()) {
    const hls = new Hls();
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (data.fatal) showPlayerError(`Playback failed (${data.type}: ${data.details}).`);
    });
    hls.loadSource(playback.hls);
    hls.attachMedia(media);
    player.hls = hls;
  } else if (media.canPlayType('application/vnd.apple.mpegurl')) {
    media.src = playback.hls;
  } else {
    return showPlayerError('This browser cannot play HLS; download the MP4 instead.');
  }
  setStatus(`Playing “${video.title}”.`);
  media.play().catch(() => {}); // Autoplay may be refused; the controls are there.
}

/** The browser's own HLS reports its errors on the element; hls.js reports its own. */
function onNativeError() {
  const error = $('player').error;
  if (!player.hls && player.playingId && error)
    showPlayerError(`Playback failed (${error.message || `media error ${error.code}`}).`);
}

export function initPlayer() {
  $('player').addEventListener('error', onNativeError);
}
