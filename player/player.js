// The streamfront demo player: lists live streams from /api/streams, plays one through the page's
// own origin (the edge on :8000, or the origin on :8080) as LL-HLS (hls.js lowLatencyMode, the
// default), classic HLS (hls.js defaults) or DASH (dash.js), and shows encoder-to-screen latency
// (from the demo encoder's time code and from the program date-time) next to the player's own
// figure, plus bitrate, resolution, buffer and the edge hit ratio of the fragments it loaded.
// Both players send CMCD as request headers: as query parameters CMCD would differ per viewer and
// per request, and split the edge's cache key for playlists whose query strings are keyed (LL-HLS).
// Plain browser ES, no build step; hls.js and dash.js are the npm copies the origin serves at /vendor/.
import {
  bufferAhead,
  chooseMode,
  createHitCounter,
  describeMedia,
  formatBitrate,
  formatLatency,
  formatSeconds,
  formatSince,
  httpProblem,
  manifestState,
  MODE_LABELS,
  MODES,
  httpsPageUrl,
  normalizeStreams,
  pageQuery,
  parseModeParam,
  parseStreamParam,
  playbackModes,
  playbackUrls,
  programDateLatency,
} from './streams.js';
import { decodeTimeCode, latencySummary, timeCodeGeometry, unwrapTimeCode } from './time-code.js';
import { attachSeekBar } from './dvr-seek.js';
import { dashSeeker, mediaElementSeeker } from './seek-adapters.js';
import { attachDash, attachHls, createRenditionPicker } from './renditions.js';

const LIST_REFRESH_MS = 3000;
const PLAYLIST_POLL_MS = 1500;
const STATS_MS = 500;
const MAX_NETWORK_RETRIES = 6;
const MAX_MEDIA_RETRIES = 3;
/** Polls of a listed stream answering 404 before the page says so (a packager start takes a few). */
const NOT_FOUND_POLLS = 8;
/** Time-code samples kept for scripts/bench-glass.ts (about 5 minutes at 30 fps). */
const MAX_GLASS_SAMPLES = 10_000;
/** dash.js error codes (its Errors class) for a manifest that cannot be had. */
const DASH_MANIFEST_PARSE_FAILED = 10;
const DASH_MANIFEST_LOAD_FAILED = 11;
const DASH_MANIFEST_DOWNLOAD_FAILED = 25;
/** Playback that has not advanced for this long while it should is stalled. */
const STALL_MS = 6000;
/** Frames without a readable time code after which the page stops reading every frame. */
const TIME_CODE_IDLE_FRAMES = 90;

const $ = (id) => document.getElementById(id);
const video = /** @type {HTMLVideoElement} */ ($('video'));
const hits = createHitCounter();
/** The seek bar over the DVR window (player/dvr-seek.js); it seeks through the engine playing (`seekBar.use`). */
const seekBar = attachSeekBar($('dvr'));
/** The rendition picker (ABR rungs); `pick` applies a choice to the engine playing now. */
let pick = null;
const picker = createRenditionPicker($('rendition'), (choice) => pick?.(choice));

/** Testing hook read by test/e2e/player.test.ts; also handy in the console. */
const hook = {
  state: 'idle',
  stream: null,
  /** The rungs the engine offers, the viewer's choice ('auto' or an index) and the one playing. */
  renditions: picker.state,
  /** The mode asked for (switch or ?mode=) and the one playing; modeFallback says why they differ. */
  requestedMode: parseModeParam(location.search) ?? 'llhls',
  mode: null,
  modeFallback: null,
  availableModes: { llhls: false, hls: true, dash: false },
  engine: null,
  url: null,
  /** The player library's own live latency (hls.latency, dash.js getCurrentLiveLatency), seconds. */
  latency: null,
  /** Encoder-to-screen from the time code on the frames (median of the last second), seconds. */
  glassLatency: null,
  /** Every time-code reading: [wall ms when shown, latency ms]; read by scripts/bench-glass.ts. */
  glassSamples: [],
  timeCodeFrames: 0,
  /** This page's clock minus the program date-time of the frame on screen, seconds. */
  pdtLatency: null,
  /** 'protected' | 'not-found' | 'server' while such a problem is shown. */
  problem: null,
  endedAt: null,
  cmcd: true,
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
  /** The DVR seek bar's model: { start, end, window, position, behind, live } or null. */
  seekable: null,
};
window.__player = hook;

let streams = [];
/** The chosen stream: { id, app, name }. */
let current = null;
/** Bumped on every selection, so that stale async work for an earlier one stops. */
let generation = 0;
let hls = null;
/** The dash.js MediaPlayer while DASH plays. */
let dash = null;
let networkRetries = 0;
let mediaRetries = 0;
/** Recent fragments: [bytes, seconds], for a measured media bitrate when the playlist has no BANDWIDTH. */
let recentFrags = [];
/** Stream id → when it ended while this page watched it (the page then says "ended", not "not live yet"). */
const endedStreams = new Map();
/** Stream id → its last /api/streams entry (kept after it leaves the list, for the ended message). */
const lastSeen = new Map();
/** One CMCD session id per page view (CMCD `sid`). */
const cmcdSessionId = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);

// ---------------------------------------------------------------- stream list

async function refreshList() {
  try {
    // Viewer Cache-Control is ignored by CloudFront (SPEC TTL-07); freshness of this list is the
    // origin's Cache-Control. `no-store` only keeps the browser's own cache out of the way.
    const res = await fetch('/api/streams', { cache: 'no-store', headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const json = await res.json();
    streams = normalizeStreams(json);
    // Offer the edge's HTTPS page (HTTP/2, which LL-HLS on Apple devices expects) when it has one.
    const httpsUrl = httpsPageUrl(json, location);
    const link = $('https-link');
    link.hidden = httpsUrl === null;
    if (httpsUrl !== null) link.href = httpsUrl;
    for (const s of streams) lastSeen.set(s.id, s);
    hook.listError = null;
  } catch (err) {
    hook.listError = String(err?.message ?? err);
  }
  hook.listRefreshes++;
  renderList();
  // A stream that left the list while its playback stopped advancing has ended, whatever the
  // player saw of it (an LL-HLS master never carries #EXT-X-ENDLIST, and a last part that ends one
  // track before the other can leave MSE waiting instead of firing 'ended').
  if (hook.url && current && hook.state !== 'ended' && !hook.listError && !entryFor(current.id) && playbackStalled()) ended();
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
  if (current) {
    renderUrls();
    renderModes(entryFor(current.id), null);
  }
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
  if (fromUser) history.replaceState(null, '', pageQuery(current.id, hook.requestedMode));
  renderList();
  renderUrls();
  void waitThenPlay(gen);
}

function entryFor(id) {
  return streams.find((s) => s.id === id);
}

/**
 * SPEC ING-03: the page polls until the stream's first manifest lists media, rather than asking
 * the viewer to wait a fixed 30 s. The manifest is only polled once the stream is in
 * /api/streams (or the list cannot be read), to keep early 404s away from the edge's error cache.
 * A 401/403 is shown as a protected stream and ends the polling; a 404 for a stream that stays
 * unlisted (or stays 404 while listed) is shown as not found; a manifest that has ended (an HLS
 * #EXT-X-ENDLIST, a static MPD) for a stream no longer listed is shown as ended.
 */
async function waitThenPlay(gen) {
  let announced = false;
  let notFoundPolls = 0;
  while (gen === generation) {
    const entry = entryFor(current.id);
    const choice = chooseMode(hook.requestedMode, playbackModes(entry ?? current, location.origin));
    renderModes(entry, choice);
    // A stream whose packager is still starting has no manifest yet: do not ask for it.
    if ((entry && entry.packaging !== 'starting') || hook.listError) {
      try {
        const res = await fetch(choice.url, { cache: 'no-store' });
        const text = res.ok ? await res.text() : '';
        if (gen !== generation) return;
        notFoundPolls = res.status === 404 ? notFoundPolls + 1 : 0;
        // A listed stream answers 404 while its packager starts: only a lasting 404 is a problem.
        const problem =
          httpProblem(res.status, Boolean(entry)) ??
          (res.status === 404 && notFoundPolls >= NOT_FOUND_POLLS
            ? {
                kind: 'not-found',
                title: 'Stream not found',
                body: `The stream is listed as live, but its ${MODE_LABELS[choice.mode]} URL answers HTTP 404.`,
              }
            : null);
        if (problem) {
          showProblem(problem);
          if (problem.kind === 'protected') return;
          announced = false;
          await sleep(PLAYLIST_POLL_MS);
          continue;
        }
        const state = manifestState(text);
        if (state === 'live' && !(endedStreams.has(current.id) && !entry)) {
          hook.problem = null;
          startPlayback(choice, gen);
          return;
        }
        if (state === 'ended' && !entry) endedStreams.set(current.id, endedStreams.get(current.id) ?? new Date());
      } catch {
        /* not reachable yet: keep polling */
      }
    }
    if (gen !== generation) return;
    if (entry?.packaging === 'failed') {
      // The origin gave up packaging this stream (ffmpeg kept failing): say so, keep polling.
      setState('error');
      showMessage(
        `${current.id} cannot be packaged`,
        'The encoder is connected but the origin could not package its stream (see the server log). Check that it sends H.264 video and AAC audio with regular key frames.',
        'error',
      );
      announced = false;
      await sleep(PLAYLIST_POLL_MS);
      continue;
    }
    const endedAt = entry ? null : endedStreams.get(current.id);
    if (endedAt) {
      if (hook.state !== 'ended' || !announced) showEnded(endedAt);
      announced = true;
    } else {
      setState('waiting');
      if (!announced || hook.problem) {
        hook.problem = null;
        showMessage(
          `Waiting for ${current.id}…`,
          entry
            ? 'The stream is live; its first playlist appears a few seconds after the encoder connects.'
            : `It is not live yet. This page starts playing as soon as something publishes to …/${current.id}.`,
          'waiting',
        );
        announced = true;
      }
    }
    await sleep(PLAYLIST_POLL_MS);
  }
}

/** The mode switch: what the stream offers, what was asked for, what plays. */
function renderModes(entry, choice) {
  const modes = playbackModes(entry ?? current ?? { app: 'live', name: 'x' }, location.origin);
  hook.availableModes = { llhls: Boolean(modes.llhls), hls: true, dash: Boolean(modes.dash) };
  for (const btn of document.querySelectorAll('.mode-btn')) {
    const mode = btn.dataset.mode;
    const offered = hook.availableModes[mode];
    btn.disabled = Boolean(current) && !offered;
    btn.title = offered || !current ? '' : `${MODE_LABELS[mode]} is not offered for this stream by this server`;
    btn.setAttribute('aria-checked', String((hook.mode ?? choice?.mode ?? hook.requestedMode) === mode));
  }
  const note = $('mode-note');
  const fallback = choice?.fallback ?? (hook.mode && hook.mode !== hook.requestedMode ? hook.modeFallback : null);
  note.hidden = !fallback;
  note.textContent = fallback ?? '';
}

function switchMode(mode) {
  if (!MODES.includes(mode) || mode === hook.requestedMode) return;
  hook.requestedMode = mode;
  if (current) select(current, true);
  else renderModes(null, null);
}

function startPlayback(choice, gen) {
  const url = choice.url;
  hook.url = url;
  hook.mode = choice.mode;
  hook.modeFallback = choice.fallback;
  hook.endedAt = null;
  hits.reset();
  recentFrags = [];
  hook.fragmentsLoaded = 0;
  hook.fatalErrors.length = 0;
  hook.errors.length = 0;
  hook.recoveries = 0;
  hook.glassSamples.length = 0;
  hook.timeCodeFrames = 0;
  networkRetries = 0;
  mediaRetries = 0;
  setState('loading');
  showMessage(`Loading ${current.id}…`, '', 'waiting');
  renderModes(entryFor(current.id), choice);

  if (choice.mode === 'dash') startDash(url, gen);
  else startHls(url, choice.mode === 'llhls', gen);
  armFrameCallback();
  $('engine').textContent = hook.engine ?? '';
  $('latency-label').textContent = hook.engine?.startsWith('dash.js')
    ? 'dash.js latency'
    : hook.engine?.startsWith('hls.js')
      ? 'hls.js latency'
      : 'Player latency';
  // dash.js starts playback itself (autoplay) and must see the element's 'play' event: it starts
  // refreshing a dynamic MPD only then, so a play() issued before it listens would leave it on
  // the first MPD's segments for good.
  if (choice.mode === 'dash') return;
  video.play().catch(() => {
    /* autoplay refused: the controls let the viewer start it */
  });
}

function startHls(url, lowLatency, gen) {
  const Hls = window.Hls;
  const nativeHls = video.canPlayType('application/vnd.apple.mpegurl') !== '';
  if (Hls && Hls.isSupported()) {
    hook.engine = `hls.js ${Hls.version ?? ''}${lowLatency ? ' (low latency)' : ''}`.trim();
    // Classic HLS keeps hls.js's defaults (the figure the LL-HLS switch is compared with).
    hls = new Hls({
      lowLatencyMode: lowLatency,
      backBufferLength: 30,
      cmcd: { sessionId: cmcdSessionId, contentId: current.id, useHeaders: true },
      // Low latency: play back up to 10 % faster to return to the target after a stall.
      ...(lowLatency ? { maxLiveSyncPlaybackRate: 1.1 } : {}),
    });
    wireHls(hls, Hls, gen);
    pick = attachHls(hls, Hls, picker);
    seekBar.use(mediaElementSeeker(video));
    hls.loadSource(url);
    hls.attachMedia(video);
  } else if (nativeHls) {
    // Safari / iOS: the browser plays HLS (and LL-HLS) itself, no MSE needed.
    hook.engine = 'native HLS';
    seekBar.use(dashSeeker(player));
    video.src = url;
  } else {
    hook.engine = null;
    fail('This browser cannot play HLS', 'It has neither Media Source Extensions (for hls.js) nor native HLS.');
  }
}

function startDash(url, gen) {
  const dashjs = window.dashjs;
  if (!dashjs || typeof window.MediaSource === 'undefined') {
    hook.engine = null;
    fail('This browser cannot play DASH', 'dash.js needs Media Source Extensions, which this browser lacks.');
    return;
  }
  const player = dashjs.MediaPlayer().create();
  dash = player;
  hook.engine = `dash.js ${typeof player.getVersion === 'function' ? player.getVersion() : ''}`.trim();
  player.updateSettings({
    debug: { logLevel: dashjs.Debug?.LOG_LEVEL_WARNING ?? 2 },
    streaming: {
      // The latency target comes from the MPD's ServiceDescription; catch-up keeps playback near it,
      // or near where the viewer seeked to (the seek bar seeks through dash.js: seek-adapters.js).
      liveCatchup: { enabled: true },
      // 'headers' is the value dash.js compares with (its type declarations say 'header').
      cmcd: { enabled: true, mode: 'headers', sid: cmcdSessionId, cid: current.id },
    },
  });
  const E = dashjs.MediaPlayer.events;
  pick = attachDash(player, dashjs, picker);
  seekBar.use(dashSeeker(player));
  player.addResponseInterceptor?.((response) => {
    const reqUrl = String(response?.request?.url ?? '');
    if (gen === generation && !/\.mpd(\?|$)/.test(reqUrl) && !/init/i.test(reqUrl)) {
      hook.fragmentsLoaded++;
      hits.record(headerOf(response?.headers, 'x-cache'));
    }
    return Promise.resolve(response);
  });
  player.on(E.FRAGMENT_LOADING_COMPLETED, () => {
    if (gen !== generation) return;
    networkRetries = 0;
  });
  player.on(E.ERROR, (e) => {
    if (gen !== generation) return;
    const code = e?.error?.code ?? '';
    const message = e?.error?.message ?? String(e?.error ?? 'error');
    const label = `dash:${code}:${message}`.slice(0, 200);
    hook.errors.push(label);
    if (hook.errors.length > 50) hook.errors.shift();
    const status = Number(e?.error?.data?.response?.status ?? e?.error?.data?.status ?? NaN);
    const problem = Number.isFinite(status) ? httpProblem(status, Boolean(entryFor(current.id))) : null;
    if (problem?.kind === 'protected') {
      hook.fatalErrors.push(label);
      stopPlayback();
      showProblem(problem);
      return;
    }
    // dash.js retries segment downloads itself and raises ERROR for each failure: only a manifest
    // that cannot be loaded or parsed, or playback that stopped advancing, restarts the player.
    const manifestFailed =
      code === DASH_MANIFEST_LOAD_FAILED || code === DASH_MANIFEST_PARSE_FAILED || code === DASH_MANIFEST_DOWNLOAD_FAILED;
    if (!manifestFailed && !playbackStalled()) return;
    hook.fatalErrors.push(label);
    if (networkRetries < MAX_NETWORK_RETRIES) {
      networkRetries++;
      hook.recoveries++;
      setState('recovering');
      setTimeout(
        () => {
          if (gen !== generation) return;
          if (current && !entryFor(current.id) && !hook.listError) ended();
          else select(current, false);
        },
        Math.min(8000, 1000 * networkRetries),
      );
    } else {
      fail('Playback failed', `dash.js reported an error it could not recover from: ${message}.`);
    }
  });
  player.on(E.PLAYBACK_ENDED, () => gen === generation && ended());
  player.initialize(video, url, true);
}

let lastProgress = { time: -1, at: 0 };

/** True when the video should play but its currentTime has not moved for STALL_MS. */
function playbackStalled() {
  if (video.currentTime !== lastProgress.time) lastProgress = { time: video.currentTime, at: Date.now() };
  return !video.paused && Date.now() - lastProgress.at > STALL_MS;
}

function headerOf(headers, name) {
  if (!headers) return null;
  if (typeof headers.get === 'function') return headers.get(name);
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return null;
}

function wireHls(h, Hls, gen) {
  const E = Hls.Events;
  // LL-HLS: aim two part targets behind the live edge, the least PART-HOLD-BACK may be (RFC 8216bis
  // §4.4.3.8), instead of the three the origin advertises for players it does not know: this page
  // reloads with blocking requests and loads the hinted part, so one part of slack is enough, and
  // hls.js adds to the target after each stall.
  let tuned = false;
  h.on(E.LEVEL_UPDATED, (_evt, data) => {
    const part = data?.details?.partTarget;
    if (tuned || gen !== generation || !h.config.lowLatencyMode || !(part > 0)) return;
    tuned = true;
    h.targetLatency = 2 * part;
  });
  h.on(E.FRAG_LOADED, (_evt, data) => {
    if (gen !== generation) return;
    hook.fragmentsLoaded++;
    hits.record(responseHeader(data.networkDetails, 'X-Cache'));
    // In low-latency mode hls.js loads parts: their own bytes and duration, not the segment's.
    const loaded = data.part ?? data.frag;
    const bytes = loaded?.stats?.total ?? loaded?.stats?.loaded ?? 0;
    const seconds = loaded?.duration ?? 0;
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
    const problem = data.response?.code ? httpProblem(data.response.code, Boolean(entryFor(current.id))) : null;
    if (problem?.kind === 'protected') {
      stopPlayback();
      showProblem(problem);
      return;
    }
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && networkRetries < MAX_NETWORK_RETRIES) {
      networkRetries++;
      hook.recoveries++;
      setState('recovering');
      showMessage('Network problem', `Retrying (${networkRetries}/${MAX_NETWORK_RETRIES}): ${data.details}`, 'waiting');
      setTimeout(
        () => {
          if (gen !== generation) return;
          if (current && !entryFor(current.id) && !hook.listError) {
            // The stream left the list while we were retrying: it ended, do not retry forever.
            ended();
            return;
          }
          h.startLoad();
        },
        Math.min(8000, 1000 * networkRetries),
      );
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
  pick = null;
  seekBar.use(null);
  picker.reset();
  if (hls) {
    hls.destroy();
    hls = null;
  }
  if (dash) {
    dash.destroy();
    dash = null;
  }
  video.removeAttribute('src');
  video.load();
  hook.engine = null;
  hook.url = null;
  hook.mode = null;
  $('engine').textContent = '';
  setState('idle');
}

function ended() {
  const id = current?.id;
  stopPlayback();
  if (id) endedStreams.set(id, new Date());
  showEnded(endedStreams.get(id) ?? new Date());
  if (current) {
    const gen = generation;
    // Keep watching: a republish to the same name starts playing again (shared links keep working).
    setTimeout(() => gen === generation && select(current, false), 3000);
  }
}

/** "The stream has ended", with the time, and the recording once the server offers one. */
function showEnded(at) {
  setState('ended');
  hook.endedAt = at.toISOString();
  showMessage(
    'The stream has ended',
    `It ended at ${at.toLocaleTimeString()}. This page starts playing again if it is published again to the same name.`,
    'ended',
  );
  const link = $('recording-link');
  const recording = recordingUrl(current);
  link.hidden = !recording;
  if (recording) {
    link.href = recording;
    link.textContent = 'Watch the recording';
  }
}

/** A recording of an ended stream, once the server lists one (`recording` on its /api/streams entry). */
function recordingUrl(ref) {
  const url = ref ? lastSeen.get(ref.id)?.recording : undefined;
  return typeof url === 'string' && url.startsWith('/') && !url.startsWith('//') ? url : null;
}

function showProblem(problem) {
  hook.problem = problem.kind;
  setState('error');
  showMessage(problem.title, problem.body, 'error');
}

function fail(title, body) {
  seekBar.use(null);
  if (hls) {
    hls.destroy();
    hls = null;
  }
  if (dash) {
    dash.destroy();
    dash = null;
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
  if (hook.engine === 'native HLS' && hook.url)
    fail('Playback failed', `The browser could not play this stream (${video.error?.message || video.error?.code}).`);
});

// ---------------------------------------------------------------- figures

function updateStats() {
  const playing = Boolean(hook.url);
  playbackStalled();
  const now = Date.now();
  let latency = null;
  let programDate = null;
  if (playing && hls) {
    const l = hls.latency;
    if (Number.isFinite(l) && l > 0) latency = l;
    else if (Number.isFinite(hls.liveSyncPosition)) latency = hls.liveSyncPosition - video.currentTime;
    programDate = hls.playingDate;
  } else if (playing && dash) {
    try {
      const l = dash.getCurrentLiveLatency();
      if (Number.isFinite(l) && l > 0) latency = l;
      // dash.js maps the media time to UTC through the MPD's availabilityStartTime and UTCTiming.
      const utc = dash.timeAsUTC();
      if (Number.isFinite(utc) && utc > 0) programDate = utc * 1000;
    } catch {
      /* not ready yet */
    }
  } else if (playing && video.seekable.length > 0) {
    latency = video.seekable.end(video.seekable.length - 1) - video.currentTime;
  }
  const started = video.currentTime > 0;
  hook.latency = latency != null && Number.isFinite(latency) && started ? Math.max(0, latency) : null;
  hook.pdtLatency = playing && started ? programDateLatency(programDate, now) : null;

  let bitrate = null;
  if (hls && hls.currentLevel >= 0 && hls.levels?.[hls.currentLevel]?.bitrate > 0) bitrate = hls.levels[hls.currentLevel].bitrate;
  if (dash) {
    try {
      const rep = dash.getCurrentRepresentationForType('video');
      if (rep?.bandwidth > 0) bitrate = rep.bandwidth;
    } catch {
      /* not ready yet */
    }
  }
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
  hook.seekable = seekBar.update();
  const recent = hook.glassSamples.filter(([t]) => t > now - 1000).map(([, l]) => l / 1000);
  hook.glassLatency = playing ? latencySummary(recent).median : null;

  $('latency').textContent = formatLatency(hook.latency);
  $('glass-latency').textContent = formatLatency(hook.glassLatency);
  $('glass-detail').textContent = !playing
    ? ''
    : hook.glassLatency != null
      ? 'time code on frame'
      : hook.timeCodeFrames > 0
        ? 'time code lost'
        : 'no time code in stream';
  $('pdt-latency').textContent = formatLatency(hook.pdtLatency);
  $('pdt-detail').textContent = !playing
    ? ''
    : hook.pdtLatency != null
      ? dash
        ? 'from MPD timing'
        : 'program date-time'
      : 'no program date-time';
  $('bitrate').textContent = formatBitrate(hook.bitrate);
  $('resolution').textContent = hook.resolution ?? '–';
  $('buffer').textContent = formatSeconds(hook.buffer);
  let bandwidth = null;
  if (hls && Number.isFinite(hls.bandwidthEstimate)) bandwidth = hls.bandwidthEstimate;
  else if (dash) {
    try {
      const kbps = dash.getAverageThroughput('video');
      if (Number.isFinite(kbps) && kbps > 0) bandwidth = kbps * 1000;
    } catch {
      /* not ready yet */
    }
  }
  $('bandwidth').textContent = formatBitrate(bandwidth);
  const c = hits.counts;
  if (hook.hitRatio != null) {
    $('hit-ratio').textContent = `${Math.round(hook.hitRatio * 100)} %`;
    $('hit-detail').textContent = `${c.hit} hit · ${c.refresh} refresh · ${c.miss} miss${c.error ? ` · ${c.error} error` : ''}`;
  } else {
    $('hit-ratio').textContent = '–';
    $('hit-detail').textContent = c.none > 0 ? `${c.none} fragments, none with X-Cache (not through an edge)` : '';
  }
}

// ---------------------------------------------------------------- time code

/**
 * Reads the demo encoder's wall-clock time code (player/time-code.js) from every frame as it is
 * presented, and compares it with this page's clock at the frame's expected display time. Same
 * machine, same clock: the difference is encoder-to-screen latency, whatever the player reports.
 */
const codeCanvas = document.createElement('canvas');
const codeCtx = codeCanvas.getContext('2d', { willReadFrequently: true });
let framesWithoutCode = 0;
let frameCount = 0;

let frameCallback = null;

/** (Re-)registers the per-frame reader; a new source may drop callbacks registered before it. */
function armFrameCallback() {
  if (typeof video.requestVideoFrameCallback !== 'function') return;
  if (frameCallback !== null) video.cancelVideoFrameCallback(frameCallback);
  frameCallback = video.requestVideoFrameCallback(onVideoFrame);
}

function onVideoFrame(_now, meta) {
  frameCallback = video.requestVideoFrameCallback(onVideoFrame);
  frameCount++;
  // A stream without a time code is checked on one frame in 30 only.
  if (!hook.url || !codeCtx || (framesWithoutCode > TIME_CODE_IDLE_FRAMES && frameCount % 30 !== 0)) return;
  const w = meta?.width || video.videoWidth;
  const h = meta?.height || video.videoHeight;
  const g = timeCodeGeometry(w, h);
  if (!g) return;
  if (codeCanvas.width !== w || codeCanvas.height !== g.blockHeight) {
    codeCanvas.width = w;
    codeCanvas.height = g.blockHeight;
  }
  codeCtx.drawImage(video, 0, 0, w, g.blockHeight, 0, 0, w, g.blockHeight);
  const code = decodeTimeCode(codeCtx.getImageData(0, 0, w, g.blockHeight).data, w, w, h);
  if (code == null) {
    framesWithoutCode++;
    return;
  }
  framesWithoutCode = 0;
  hook.timeCodeFrames++;
  const shownAt = Number.isFinite(meta?.expectedDisplayTime) ? performance.timeOrigin + meta.expectedDisplayTime : Date.now();
  const encodedAt = unwrapTimeCode(code, shownAt);
  hook.glassSamples.push([Math.round(shownAt), Math.round(shownAt - encodedAt)]);
  if (hook.glassSamples.length > MAX_GLASS_SAMPLES) hook.glassSamples.splice(0, hook.glassSamples.length - MAX_GLASS_SAMPLES);
}

armFrameCallback();

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
for (const btn of document.querySelectorAll('.mode-btn')) btn.addEventListener('click', () => switchMode(btn.dataset.mode));
renderModes(null, null);
$('publish-example').textContent = `ffmpeg -re -i input.mp4 -c copy -f flv rtmp://${location.hostname}:1935/live/mystream`;
setInterval(updateStats, STATS_MS);
setInterval(refreshList, LIST_REFRESH_MS);

await refreshList();
// hls.js and dash.js are deferred classic scripts and this a module: all run after parsing, in order.
const linked = parseStreamParam(location.search);
if (linked) select(linked, false);
