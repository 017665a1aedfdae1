// Pure helpers of the demo player: no DOM, no network. The page (player.js) and the unit
// tests (test/player/streams.test.ts) both import this file, so the rules that decide which
// URL is played, how the list is read and how X-Cache is counted are tested outside a browser.

/** The Wowza-style HLS path every live stream has (SPEC ING-03): the fallback when the API says less. */
export function defaultHlsPath(app, name) {
  return `/${app}/${name}/playlist.m3u8`;
}

/**
 * `/api/streams` answers an array, or an object holding one (`{ streams: [...] }`): accept both,
 * drop entries without an app and a name, and give every entry the same shape.
 */
export function normalizeStreams(json) {
  const list = Array.isArray(json) ? json : json && Array.isArray(json.streams) ? json.streams : [];
  const out = [];
  for (const raw of list) {
    if (!raw || typeof raw !== 'object') continue;
    const app = str(raw.app) ?? str(raw.key?.app);
    const name = str(raw.name) ?? str(raw.key?.name) ?? str(raw.stream);
    if (!app || !name) continue;
    const video = raw.video ?? raw.codecs?.video ?? undefined;
    const audio = raw.audio ?? raw.codecs?.audio ?? undefined;
    out.push({
      id: `${app}/${name}`,
      app,
      name,
      event: str(raw.event),
      video: typeof video === 'string' ? { codec: video } : video && typeof video === 'object' ? video : undefined,
      audio: typeof audio === 'string' ? { codec: audio } : audio && typeof audio === 'object' ? audio : undefined,
      bitrateKbps: num(raw.bitrateKbps),
      startedAt: str(raw.startedAt),
      transcoding: raw.transcoding === true,
      packaging: str(raw.packaging),
      // Not served yet: where a recording of the stream will be offered once it has ended.
      recording: str(raw.recording?.url) ?? str(raw.recordingUrl),
      paths: raw.paths,
      urls: raw.urls,
      rtmp: raw.rtmp ?? raw.rtmpUrl ?? raw.rtmpUrls,
    });
  }
  out.sort((a, b) => a.id.localeCompare(b.id));
  return out;
}

/**
 * The URL of this page on the edge's HTTPS listener, when `/api/streams` says the edge has one
 * (`{ https: { port } }`) and the page is not already on HTTPS: LL-HLS on Apple devices expects
 * HTTP/2, which browsers speak only over TLS. Built on the page's own host name (the API's base
 * URL may name the origin, whose Host the edge rewrites), same path and query. Otherwise null.
 */
export function httpsPageUrl(json, loc) {
  const port = json && !Array.isArray(json) ? json.https?.port : undefined;
  if (loc.protocol === 'https:' || !Number.isInteger(port) || port <= 0 || port > 65535) return null;
  const host = loc.hostname.includes(':') && !loc.hostname.startsWith('[') ? `[${loc.hostname}]` : loc.hostname;
  return `https://${host}${port === 443 ? '' : `:${port}`}${loc.pathname}${loc.search}`;
}

/**
 * `?stream=<app>/<stream>` → { app, name }. The stream is the last segment, so the two-level
 * CloudFront app works too (`?stream=cfx/st/demo`, SPEC RTMP-10). Anything else → null.
 */
export function parseStreamParam(search) {
  const value = new URLSearchParams(search).get('stream');
  if (!value) return null;
  const cut = value.lastIndexOf('/');
  if (cut <= 0 || cut === value.length - 1) return null;
  const app = value.slice(0, cut);
  const name = value.slice(cut + 1);
  const seg = /^[A-Za-z0-9_-]{1,128}$/;
  if (!seg.test(name) || !app.split('/').every((s) => seg.test(s))) return null;
  return { app, name, id: `${app}/${name}` };
}

/** Which family a manifest URL belongs to, by its shape (SPEC 2.1–2.3). */
export function classifyUrl(url) {
  if (/^rtmpt?s?:\/\//i.test(url)) return /\/cfx\/st\//.test(url) ? 'RTMP (CloudFront-style cfx/st)' : 'RTMP';
  const path = url.replace(/^[a-z]+:\/\/[^/]+/i, '').split('?')[0];
  if (/\.isml\/manifest\(format=m3u8-aapl\)\.m3u8$/i.test(path)) return 'HLS (IIS alias)';
  // The CMAF names (checked before the generic .m3u8): LL-HLS and DASH from one timeline, in the
  // Wowza names, the livepkgr event folder and the IIS format names.
  if (/\.isml\/manifest\(format=m3u8-cmaf\)\.m3u8$/i.test(path)) return 'LL-HLS (IIS alias)';
  if (/\.isml\/manifest\(format=mpd-time-cmaf\)\.mpd$/i.test(path)) return 'DASH (IIS alias)';
  if (path.startsWith('/hls-live/') && /_sfm4s\.m3u8$/i.test(path)) return 'LL-HLS (Adobe livepkgr)';
  if (path.startsWith('/hls-live/') && /\.mpd$/i.test(path)) return 'DASH (Adobe livepkgr)';
  if (/_sfm4s\.m3u8$/i.test(path)) return 'LL-HLS (CMAF)';
  if (/\.mpd$/i.test(path)) return 'DASH (CMAF)';
  if (/\.isml\/manifest$/i.test(path)) return 'Smooth (IIS)';
  if (path.startsWith('/hls-live/')) return 'HLS (Adobe livepkgr)';
  if (path.startsWith('/hds-live/')) return 'HDS (Adobe livepkgr)';
  if (/\.m3u8$/i.test(path)) return 'HLS';
  if (/\.f4m$/i.test(path)) return 'HDS';
  if (/\/Manifest$/.test(path)) return 'Smooth Streaming';
  return null;
}

const FAMILY_ORDER = [
  'LL-HLS (CMAF)',
  'DASH (CMAF)',
  'HLS',
  'HDS',
  'Smooth Streaming',
  'HLS (Adobe livepkgr)',
  'HDS (Adobe livepkgr)',
  'Smooth (IIS)',
  'HLS (IIS alias)',
  'LL-HLS (Adobe livepkgr)',
  'DASH (Adobe livepkgr)',
  'LL-HLS (IIS alias)',
  'DASH (IIS alias)',
  'RTMP',
  'RTMP (CloudFront-style cfx/st)',
];

/** Every string leaf of a nested object (the API may group URLs by family or list them flat). */
function stringLeaves(value, out = []) {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringLeaves(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringLeaves(v, out);
  return out;
}

const LOOPBACK_OR_ANY = /^(127\.[0-9.]+|0\.0\.0\.0|localhost|\[::1?\]|::1?)$/i;

/**
 * The stream's playback URLs as the page shows them, grouped by family.
 * HTTP URLs are made relative to the page's own origin (`pageOrigin`), so that a page served by
 * the edge links to the edge: the API's absolute URLs may name the origin, because the edge
 * rewrites Host when it forwards (SPEC 4.5). RTMP URLs keep their port and path; a loopback or
 * wildcard host is replaced by the page's host name. When the API gives no RTMP URL, the stream's
 * own path and the CloudFront form `rtmp://<host>:1935/cfx/st/<stream>` (SPEC RTMP-10) are offered.
 */
export function playbackUrls(stream, pageOrigin) {
  const page = new URL(pageOrigin);
  const seen = new Set();
  const rows = [];
  const add = (url) => {
    const family = classifyUrl(url);
    if (!family || seen.has(url)) return;
    seen.add(url);
    rows.push({ family, url });
  };
  for (const value of [...stringLeaves(stream.paths), ...stringLeaves(stream.urls), ...stringLeaves(stream.rtmp)]) {
    // A protocol-relative `//host/…` would leave the page's origin: onPageOrigin refuses it.
    const http = onPageOrigin(value, pageOrigin);
    if (http) add(http);
    else if (/^rtmp/i.test(value)) {
      try {
        const u = new URL(value);
        if (LOOPBACK_OR_ANY.test(u.hostname) && !LOOPBACK_OR_ANY.test(page.hostname)) u.hostname = page.hostname;
        add(u.href);
      } catch {
        /* not a URL: ignore */
      }
    }
  }
  // Wowza-style forms every stream has (SPEC ING-03), when the API did not list them.
  const base = `/${stream.app}/${stream.name}`;
  for (const p of [defaultHlsPath(stream.app, stream.name), `${base}/manifest.f4m`, `${base}/Manifest`]) {
    const url = new URL(p, page).href;
    if (!rows.some((r) => r.family === classifyUrl(url))) add(url);
  }
  // RTMP play: the API lists the URLs that reach this stream (its own app, and the CloudFront form
  // `cfx/st/<stream>` when that reaches it, SPEC RTMP-10). Without any, offer both on port 1935.
  if (!rows.some((r) => r.family.startsWith('RTMP'))) {
    add(`rtmp://${page.hostname}:1935/${stream.app}/${stream.name}`);
    if (stream.app !== 'cfx/st') add(`rtmp://${page.hostname}:1935/cfx/st/${stream.name}`);
  }
  rows.sort((a, b) => FAMILY_ORDER.indexOf(a.family) - FAMILY_ORDER.indexOf(b.family));
  return rows;
}

/** The URL the page plays: the Wowza-style HLS playlist through the page's own origin. */
export function hlsUrl(stream, pageOrigin) {
  const rows = playbackUrls(stream, pageOrigin);
  const wowza = rows.find((r) => r.family === 'HLS' && /\/playlist\.m3u8$/.test(r.url));
  return (wowza ?? rows.find((r) => r.family === 'HLS'))?.url ?? new URL(defaultHlsPath(stream.app, stream.name), pageOrigin).href;
}

/** Playback modes the page offers, in the order of the switch. LL-HLS is the default. */
export const MODES = ['llhls', 'hls', 'dash'];
export const MODE_LABELS = { llhls: 'LL-HLS', hls: 'HLS', dash: 'DASH' };
export const DEFAULT_MODE = 'llhls';

/** A root-relative or absolute HTTP URL from the API, as a URL on the page's own origin (or null). */
function onPageOrigin(value, pageOrigin) {
  if (typeof value !== 'string' || value === '') return null;
  const page = new URL(pageOrigin);
  if (value.startsWith('/') && !value.startsWith('//')) return new URL(value, page).href;
  if (/^https?:\/\//i.test(value)) {
    try {
      const u = new URL(value);
      return new URL(u.pathname + u.search, page).href;
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * The URL of each mode for a stream, through the page's own origin: LL-HLS and DASH only when
 * `/api/streams` lists them (`paths.wowza.llhls`, `paths.wowza.dash`, or the same keys under
 * `urls`); classic HLS always (the API's `paths.wowza.hls`, else the Wowza default path).
 */
export function playbackModes(stream, pageOrigin) {
  const pick = (key) => onPageOrigin(stream.paths?.wowza?.[key], pageOrigin) ?? onPageOrigin(stream.urls?.wowza?.[key], pageOrigin);
  return {
    llhls: pick('llhls'),
    hls: pick('hls') ?? hlsUrl(stream, pageOrigin),
    dash: pick('dash'),
  };
}

/**
 * The mode to play: the one asked for when the stream offers it, else classic HLS, which every
 * stream has. `fallback` says why the page plays something other than what was asked.
 */
export function chooseMode(requested, modes) {
  const want = MODES.includes(requested) ? requested : DEFAULT_MODE;
  if (modes[want]) return { mode: want, url: modes[want], fallback: null };
  return {
    mode: 'hls',
    url: modes.hls,
    fallback: `${MODE_LABELS[want]} is not offered for this stream by this server; playing classic HLS.`,
  };
}

/** `?mode=llhls|hls|dash` → that mode, else null (the page then uses DEFAULT_MODE). */
export function parseModeParam(search) {
  const v = new URLSearchParams(search).get('mode');
  return MODES.includes(v) ? v : null;
}

/** The page's own address for a stream and mode (the default mode is left out, to keep links short). */
export function pageQuery(streamId, mode) {
  return `?stream=${streamId}${mode && mode !== DEFAULT_MODE ? `&mode=${mode}` : ''}`;
}

/**
 * What a fetched manifest says about the stream: 'live' (plays), 'ended' (an HLS playlist
 * with #EXT-X-ENDLIST, or a static DASH MPD), or 'empty' (nothing to play yet).
 */
export function manifestState(text) {
  if (typeof text !== 'string') return 'empty';
  if (/<MPD[\s>]/.test(text)) {
    if (/\btype\s*=\s*["']static["']/.test(text)) return 'ended';
    return /<(SegmentTemplate|SegmentList|SegmentBase|BaseURL)\b/.test(text) ? 'live' : 'empty';
  }
  if (!text.startsWith('#EXTM3U')) return 'empty';
  if (/^#EXT-X-ENDLIST/m.test(text)) return 'ended';
  return /^#EXTINF|^#EXT-X-STREAM-INF|^#EXT-X-PART:/m.test(text) ? 'live' : 'empty';
}

/**
 * The message for an HTTP status the page got for a stream's manifest, or null when the status
 * is not a problem the viewer should be told about (2xx, or a 404 while the stream is still
 * starting). `listed`: the stream is in /api/streams right now.
 */
export function httpProblem(status, listed) {
  if (status === 401 || status === 403) {
    return {
      kind: 'protected',
      title: 'This stream is protected',
      body: `The server refused the stream's URL (HTTP ${status}): it needs a signed URL or signed cookies from the site that publishes it. Open the link you were given, or ask its owner for access.`,
    };
  }
  if (status === 404 || status === 410) {
    return listed
      ? null
      : {
          kind: 'not-found',
          title: 'Stream not found',
          body: `Nothing is published under this name on this server (HTTP ${status}). Check the link, or publish to it: the page starts playing as soon as it is live.`,
        };
  }
  if (status >= 500) {
    return {
      kind: 'server',
      title: 'The server cannot serve this stream',
      body: `HTTP ${status} from the server. The page keeps retrying.`,
    };
  }
  return null;
}

/** Seconds between a Date-like value (hls.js `playingDate`, from EXT-X-PROGRAM-DATE-TIME) and `nowMs`. */
export function programDateLatency(playingDate, nowMs) {
  const t = playingDate instanceof Date ? playingDate.getTime() : Number(playingDate);
  if (!Number.isFinite(t) || t <= 0) return null;
  return (nowMs - t) / 1000;
}

/** `X-Cache` value (SPEC 4.6) → 'hit' | 'refresh' | 'miss' | 'error' | null (no edge in the path). */
export function classifyXCache(header) {
  if (!header) return null;
  const v = String(header).trim().toLowerCase();
  if (v.startsWith('hit')) return 'hit';
  if (v.startsWith('refreshhit')) return 'refresh';
  if (v.startsWith('miss')) return 'miss';
  if (v.startsWith('error')) return 'error';
  return null;
}

/**
 * Counts the X-Cache results of loaded fragments. A RefreshHit was served from the edge's copy
 * after a 304 from the origin, so it counts as a hit for the ratio (the bytes came from the edge).
 */
export function createHitCounter() {
  const counts = { hit: 0, refresh: 0, miss: 0, error: 0, none: 0 };
  return {
    counts,
    record(header) {
      counts[classifyXCache(header) ?? 'none']++;
    },
    /** Share of fragments served from the edge cache, or null before any fragment came through an edge. */
    ratio() {
      const edge = counts.hit + counts.refresh + counts.miss + counts.error;
      return edge === 0 ? null : (counts.hit + counts.refresh) / edge;
    },
    reset() {
      for (const k of Object.keys(counts)) counts[k] = 0;
    },
  };
}

/** Seconds of media buffered ahead of `time` in a TimeRanges-like object. */
export function bufferAhead(ranges, time) {
  for (let i = 0; i < ranges.length; i++) {
    if (ranges.start(i) <= time + 0.1 && time < ranges.end(i)) return ranges.end(i) - time;
  }
  return 0;
}

export function formatBitrate(bitsPerSecond) {
  if (bitsPerSecond == null || !Number.isFinite(bitsPerSecond) || bitsPerSecond <= 0) return '–';
  return bitsPerSecond >= 1e6 ? `${(bitsPerSecond / 1e6).toFixed(2)} Mbit/s` : `${Math.round(bitsPerSecond / 1e3)} kbit/s`;
}

export function formatSeconds(s) {
  return s == null || !Number.isFinite(s) ? '–' : `${s.toFixed(1)} s`;
}

/** Latency with two decimals (the figures the switch between modes is about). */
export function formatLatency(s) {
  return s == null || !Number.isFinite(s) ? '–' : `${s.toFixed(2)} s`;
}

export function formatSince(iso, now = Date.now()) {
  const t = Date.parse(iso ?? '');
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** One line describing the media: `h264 1280×720 30fps · aac · 2100 kbit/s`. */
export function describeMedia(stream) {
  const parts = [];
  const v = stream.video;
  if (v)
    parts.push(
      [v.codec, v.width && v.height ? `${v.width}×${v.height}` : '', v.fps ? `${Math.round(v.fps)}fps` : ''].filter(Boolean).join(' '),
    );
  if (stream.audio?.codec) parts.push(stream.audio.codec);
  if (stream.bitrateKbps) parts.push(`${Math.round(stream.bitrateKbps)} kbit/s`);
  if (stream.transcoding) parts.push('transcoded');
  if (stream.packaging && stream.packaging !== 'running') parts.push(`packaging ${stream.packaging}`);
  return parts.join(' · ');
}

function str(v) {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
