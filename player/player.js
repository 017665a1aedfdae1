// The streamfront demo player: lists live streams from /api/streams, plays one with hls.js
// through the page's own origin (the edge on :8000, or the origin on :8080), and shows latency,
// bitrate, resolution, buffer and the edge hit ratio of the fragments it loaded.
// Plain browser ES, no build step; hls.js is the npm copy the origin serves at /vendor/hls.min.js.
import {
  bufferAhead,
  createHitCounter,
  describeMedia,
  formatBitrate,
  formatSeconds,
  formatSince,
  hlsUrl,
  normalizeStreams,
  parseStreamParam,
  playbackUrls,
} from './streams.js';

const LIST_REFRESH_MS = 3000;
const PLAYLIST_POLL_MS = 1500;
const STATS_MS = 500;
const MAX_NETWORK_RETRIES = 6;
const MAX_MEDIA_RETRIES = 3;

const $ = (id) => document.getElementById(id);
const video = /** @type {HTMLVideoElement} */ ($('video'));
const hits = createHitCounter();

/** Testing hook read by test/e2e/player.test.ts; also handy in the console. */
const hook = {
  state: 'idle',
  stream: null,
  engine: null,
  url: null,
  latency: null,
  bitrate: null,
  resolution: null,
  buffer: null,
  hitRatio: null,
  xcache: hits.counts,
  fragmentsLoaded: 0,
  fatalErrors: [],
  errors: [],
  recoveries: 0,
  listRefreshes: 0,
  listError: null,
};
window.__player = hook;

let streams = [];
/** The chosen stream: { id, app, name }. */
let current = null;
/** Bumped on every selection, so that stale async work for an earlier one stops. */
let generation = 0;
let hls = null;
let networkRetries = 0;
let mediaRetries = 0;
/** Recent fragments: [bytes, seconds], for a measured media bitrate when the playlist has no BANDWIDTH. */
let recentFrags = [];

// ---------------------------------------------------------------- stream list

async function refreshList() {
  try {
    // Viewer Cache-Control is ignored by CloudFront (SPEC TTL-07); freshness of this list is the
    // origin's Cache-Control. `no-store` only keeps the browser's own cache out of the way.
    const res = await fetch('/api/streams', { cache: 'no-store', headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    streams = normalizeStreams(await res.json());
    hook.listError = null;
  } catch (err) {
    hook.listError = String(err?.message ?? err);
  }
  hook.listRefreshes++;
  renderList();
}

function renderList() {
  const ul = $('streams');
  ul.replaceChildren(
    ...streams.map((s) => {
      const li = document.createElement('li');
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'stream-btn' + (current?.id === s.id ? ' active' : '');
      btn.dataset.streamId = s.id;
      const name = document.createElement('div');
      name.className = 'stream-name';
      const dot = document.createElement('span');
      dot.className = 'live-dot';
      name.append(dot, s.id + (s.event ? ` · ${s.event}` : ''));
      const meta = document.createElement('div');
      meta.className = 'stream-meta';
      const since = formatSince(s.startedAt);
      meta.textContent = [describeMedia(s), since ? `live for ${since}` : ''].filter(Boolean).join(' · ');
      btn.append(name, meta);
      btn.addEventListener('click', () => select(s, true));
      li.append(btn);
      return li;
    }),
  );
  const status = $('list-status');
  if (hook.listError) {
    status.textContent = `Cannot load the stream list from /api/streams (${hook.listError}). Retrying…`;
  } else if (streams.length === 0) {
    status.textContent = 'No stream is live right now. Publish one and it appears here.';
  } else {
    status.textContent = '';
  }
  $('list-updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
  if (current) renderUrls();
  if (!current && streams.length === 0 && hook.state === 'idle') {
    showMessage('No stream is live', 'Publish with an encoder (see “How do I publish?”) and pick the stream when it appears.');
  } else if (!current && hook.state === 'idle') {
    showMessage('No stream selected', 'Pick a live stream from the list.');
  }
}

// ---------------------------------------------------------------- selection and playback

/** Starts playing a stream, or waits for it: `fromUser` also updates the address bar. */
function select(ref, fromUser) {
  const gen = ++generation;
  stopPlayback();
  current = { id: ref.id ?? `${ref.app}/${ref.name}`, app: ref.app, name: ref.name };
  hook.stream = current.id;
  $('title').textContent = current.id;
  if (fromUser) history.replaceState(null, '', `?stream=${current.id}`);
  renderList();
  renderUrls();
  void waitThenPlay(gen);
}

function entryFor(id) {
  return streams.find((s) => s.id === id);
}

/**
 * SPEC ING-03: the page polls until the stream's first playlist lists a segment, rather than
 * asking the viewer to wait a fixed 30 s. The playlist is only polled once the stream is in
 * /api/streams (or the list cannot be read), to keep early 404s away from the edge's error cache.
 */
async function waitThenPlay(gen) {
  let announced = false;
  while (gen === generation) {
    const entry = entryFor(current.id);
    // A stream whose packager is still starting has no playlist yet: do not ask for it.
    if ((entry && entry.packaging !== 'starting') || hook.listError) {
      const url = hlsUrl(entry ?? current, location.origin);
      try {
        const res = await fetch(url, { cache: 'no-store' });
        const text = res.ok ? await res.text() : '';
        if (gen !== generation) return;
        if (/#EXTINF|#EXT-X-STREAM-INF/.test(text)) {
          startPlayback(url, gen);
          return;
        }
      } catch {
        /* not reachable yet: keep polling */
      }
    }
    if (gen !== generation) return;
    if (entry?.packaging === 'failed') {
      // The origin gave up packaging this stream (ffmpeg kept failing): say so, keep polling.
      setState('error');
      showMessage(`${current.id} cannot be packaged`, 'The encoder is connected but the origin could not package its stream (see the server log). Check that it sends H.264 video and AAC audio with regular key frames.', 'error');
      announced = false;
      await sleep(PLAYLIST_POLL_MS);
      continue;
    }
    setState('waiting');
    if (!announced) {
      showMessage(`Waiting for ${current.id}…`, entry
        ? 'The stream is live; its first playlist appears a few seconds after the encoder connects.'
        : `It is not live yet. This page starts playing as soon as something publishes to …/${current.id}.`, 'waiting');
      announced = true;
    }
    await sleep(PLAYLIST_POLL_MS);
  }
}

function startPlayback(url, gen) {
  hook.url = url;
  hits.reset();
  recentFrags = [];
  hook.fragmentsLoaded = 0;
  hook.fatalErrors.length = 0;
  hook.errors.length = 0;
  hook.recoveries = 0;
  networkRetries = 0;
  mediaRetries = 0;
  setState('loading');
  showMessage(`Loading ${current.id}…`, '', 'waiting');

  const Hls = window.Hls;
  const nativeHls = video.canPlayType('application/vnd.apple.mpegurl') !== '';
  if (Hls && Hls.isSupported()) {
    hook.engine = `hls.js ${Hls.version ?? ''}`.trim();
    hls = new Hls({ lowLatencyMode: false, backBufferLength: 30 });
    wireHls(hls, Hls, gen);
    hls.loadSource(url);
    hls.attachMedia(video);
  } else if (nativeHls) {
    // Safari / iOS: the browser plays HLS itself (no MSE needed).
    hook.engine = 'native HLS';
    video.src = url;
  } else {
    hook.engine = null;
    fail('This browser cannot play HLS', 'It has neither Media Source Extensions (for hls.js) nor native HLS.');
    return;
  }
  $('engine').textContent = hook.engine;
  video.play().catch(() => {
    /* autoplay refused: the controls let the viewer start it */
  });
}

function wireHls(h, Hls, gen) {
  const E = Hls.Events;
  h.on(E.FRAG_LOADED, (_evt, data) => {
    if (gen !== generation) return;
    hook.fragmentsLoaded++;
    hits.record(responseHeader(data.networkDetails, 'X-Cache'));
    const bytes = data.frag?.stats?.total ?? data.frag?.stats?.loaded ?? 0;
    const seconds = data.frag?.duration ?? 0;
    if (bytes > 0 && seconds > 0) recentFrags = [...recentFrags.slice(-5), [bytes, seconds]];
  });
  h.on(E.FRAG_BUFFERED, () => {
    networkRetries = 0;
    if (hook.state !== 'playing' && !video.paused) setState('playing');
  });
  h.on(E.ERROR, (_evt, data) => {
    if (gen !== generation) return;
    const label = `${data.type}:${data.details}`;
    hook.errors.push(label);
    if (hook.errors.length > 50) hook.errors.shift();
    if (!data.fatal) return;
    hook.fatalErrors.push(label);
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && networkRetries < MAX_NETWORK_RETRIES) {
      networkRetries++;
      hook.recoveries++;
      setState('recovering');
      showMessage('Network problem', `Retrying (${networkRetries}/${MAX_NETWORK_RETRIES}): ${data.details}`, 'waiting');
      setTimeout(() => {
        if (gen !== generation) return;
        if (current && !entryFor(current.id) && !hook.listError) {
          // The stream left the list while we were retrying: it ended, do not retry forever.
          ended();
          return;
        }
        h.startLoad();
      }, Math.min(8000, 1000 * networkRetries));
    } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRetries < MAX_MEDIA_RETRIES) {
      mediaRetries++;
      hook.recoveries++;
      setState('recovering');
      if (mediaRetries === 2) h.swapAudioCodec();
      h.recoverMediaError();
    } else {
      fail('Playback failed', `hls.js reported a fatal error it could not recover from: ${label}.`);
    }
  });
}

/** A response header from hls.js's networkDetails: an XMLHttpRequest (default loader) or a fetch Response. */
function responseHeader(details, name) {
  try {
    if (details && typeof details.getResponseHeader === 'function') return details.getResponseHeader(name);
    if (details?.headers && typeof details.headers.get === 'function') return details.headers.get(name);
  } catch {
    /* header not exposed */
  }
  return null;
}

function stopPlayback() {
  if (hls) {
    hls.destroy();
    hls = null;
  }
  video.removeAttribute('src');
  video.load();
  hook.engine = null;
  hook.url = null;
  $('engine').textContent = '';
  setState('idle');
}

function ended() {
  stopPlayback();
  setState('ended');
  showMessage('The stream has ended', 'It is no longer live. Pick another stream, or publish again to the same name.', 'error');
  if (current) {
    const gen = generation;
    // Keep watching: a republish to the same name starts playing again (shared links keep working).
    setTimeout(() => gen === generation && select(current, false), 3000);
  }
}

function fail(title, body) {
  if (hls) {
    hls.destroy();
    hls = null;
  }
  setState('error');
  showMessage(title, body, 'error');
}

video.addEventListener('playing', () => {
  if (hook.url) {
    setState('playing');
    hideMessage();
  }
});
video.addEventListener('waiting', () => hook.url && hook.state === 'playing' && setState('buffering'));
video.addEventListener('ended', () => hook.url && ended());
video.addEventListener('error', () => {
  if (hook.engine === 'native HLS' && hook.url) fail('Playback failed', `The browser could not play this stream (${video.error?.message || video.error?.code}).`);
});

// ---------------------------------------------------------------- figures

function updateStats() {
  const playing = Boolean(hook.url);
  let latency = null;
  if (playing && hls) {
    const l = hls.latency;
    if (Number.isFinite(l) && l > 0) latency = l;
    else if (Number.isFinite(hls.liveSyncPosition)) latency = hls.liveSyncPosition - video.currentTime;
  } else if (playing && video.seekable.length > 0) {
    latency = video.seekable.end(video.seekable.length - 1) - video.currentTime;
  }
  hook.latency = latency != null && Number.isFinite(latency) && video.currentTime > 0 ? Math.max(0, latency) : null;

  let bitrate = null;
  if (hls && hls.currentLevel >= 0 && hls.levels?.[hls.currentLevel]?.bitrate > 0) bitrate = hls.levels[hls.currentLevel].bitrate;
  if (bitrate == null && recentFrags.length > 0) {
    const bytes = recentFrags.reduce((a, [b]) => a + b, 0);
    const secs = recentFrags.reduce((a, [, s]) => a + s, 0);
    bitrate = (bytes * 8) / secs;
  }
  hook.bitrate = playing ? bitrate : null;
  hook.resolution = playing && video.videoWidth > 0 ? `${video.videoWidth}×${video.videoHeight}` : null;
  hook.buffer = playing ? bufferAhead(video.buffered, video.currentTime) : null;
  hook.hitRatio = hits.ratio();
  hook.currentTime = video.currentTime;

  $('latency').textContent = formatSeconds(hook.latency);
  $('bitrate').textContent = formatBitrate(hook.bitrate);
  $('resolution').textContent = hook.resolution ?? '–';
  $('buffer').textContent = formatSeconds(hook.buffer);
  $('bandwidth').textContent = hls && Number.isFinite(hls.bandwidthEstimate) ? formatBitrate(hls.bandwidthEstimate) : '–';
  const c = hits.counts;
  if (hook.hitRatio != null) {
    $('hit-ratio').textContent = `${Math.round(hook.hitRatio * 100)} %`;
    $('hit-detail').textContent = `${c.hit} hit · ${c.refresh} refresh · ${c.miss} miss${c.error ? ` · ${c.error} error` : ''}`;
  } else {
    $('hit-ratio').textContent = '–';
    $('hit-detail').textContent = c.none > 0 ? `${c.none} fragments, none with X-Cache (not through an edge)` : '';
  }
}

// ---------------------------------------------------------------- URLs and messages

function renderUrls() {
  const tbody = $('urls');
  if (!current) return;
  const entry = entryFor(current.id) ?? current;
  const rows = playbackUrls(entry, location.origin);
  const key = rows.map((r) => r.url).join('\n');
  if (tbody.dataset.key === key) return;
  tbody.dataset.key = key;
  tbody.replaceChildren(
    ...rows.map(({ family, url }) => {
      const tr = document.createElement('tr');
      const f = document.createElement('td');
      f.className = 'family';
      f.textContent = family;
      const u = document.createElement('td');
      const code = document.createElement('code');
      code.textContent = url;
      u.append(code);
      const c = document.createElement('td');
      c.className = 'copy-cell';
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'copy-btn';
      btn.textContent = 'Copy';
      btn.addEventListener('click', () => copy(url, btn));
      c.append(btn);
      tr.append(f, u, c);
      return tr;
    }),
  );
}

async function copy(text, btn) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Clipboard API needs a secure context (https or localhost): fall back to a selection copy.
    const ta = document.createElement('textarea');
    ta.value = text;
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  btn.textContent = 'Copied';
  btn.classList.add('copied');
  setTimeout(() => {
    btn.textContent = 'Copy';
    btn.classList.remove('copied');
  }, 1500);
}

function showMessage(title, body, kind = '') {
  const box = $('message');
  box.hidden = false;
  box.className = `message ${kind}`.trim();
  $('message-title').textContent = title;
  $('message-body').textContent = body;
}

function hideMessage() {
  $('message').hidden = true;
}

function setState(state) {
  hook.state = state;
  const el = $('state');
  el.textContent = state;
  el.className = `state state-${state}`;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------- start

$('served-by').textContent = `served by ${location.host}`;
$('publish-example').textContent = `ffmpeg -re -i input.mp4 -c copy -f flv rtmp://${location.hostname}:1935/live/mystream`;
setInterval(updateStats, STATS_MS);
setInterval(refreshList, LIST_REFRESH_MS);

// hls.js is a deferred classic script and this a module: both run after parsing, in order.
await refreshList();
const linked = parseStreamParam(location.search);
if (linked) select(linked, false);
