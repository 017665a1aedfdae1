// Pure: rewrites the manifests ffmpeg writes so that every URL in them resolves under the URL
// family that served the manifest (the origin's contract: "every URL that a manifest references resolves under
// the same family"). Inputs are the files exactly as ffmpeg 5.1 writes them (FIELD-NOTES §4).
import { firstInWindow, type DvrSelection } from '../timeline/dvr-window.js';
import { parseIsoDateTime } from './dvr-params.js';
import { bootstrapServedName } from './url-families.js';

/** Last path component of a URI as ffmpeg wrote it (it may be absolute, or carry a query). */
export function baseName(uri: string): string {
  const noQuery = uri.split(/[?#]/)[0];
  const cut = Math.max(noQuery.lastIndexOf('/'), noQuery.lastIndexOf('\\'));
  return noQuery.slice(cut + 1);
}

/**
 * HLS media playlist: every URI line (and `URI="…"` attribute of tags such as EXT-X-MAP) becomes
 * `prefix + basename`. `prefix` is '' for the Wowza/IIS families (segments beside the playlist)
 * and `<stream>/` for livepkgr. Taking the basename also keeps a packager's absolute disk path,
 * should it ever write one, from leaking to players.
 */
export function rewriteHlsPlaylist(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => {
      const trimmed = line.trim();
      if (trimmed === '') return line;
      if (trimmed.startsWith('#')) {
        return line.replace(/URI="([^"]*)"/g, (_m, uri: string) => `URI="${prefix}${baseName(uri)}"`);
      }
      const cr = line.endsWith('\r') ? '\r' : '';
      return `${prefix}${baseName(trimmed)}${cr}`;
    })
    .join('\n');
}

/**
 * HDS f4m: the bootstrap is referenced by its served `.bootstrap` name (SPEC ORIGIN-01) and both
 * the bootstrap and the media base URL get the family's prefix. The HDS client builds fragment
 * URLs as `<media url>Seg<n>-Frag<m>` relative to the manifest.
 */
export function rewriteF4mManifest(text: string, prefix: string): string {
  return text.replace(/<(bootstrapInfo|media)\b[^>]*>/g, (tag: string, element: string) =>
    tag.replace(/\burl="([^"]*)"/, (_m, url: string) => {
      const name = baseName(url);
      return `url="${prefix}${element === 'bootstrapInfo' ? bootstrapServedName(name) : name}"`;
    }),
  );
}

/** One Smooth stream index whose chunk list gives no start time (`<c n=… d=…>` only). */
export interface SmoothIndexWithoutStart {
  type: string;
  bitrate: string;
}

const STREAM_INDEX_RE = /<StreamIndex\b([^>]*)>([\s\S]*?)<\/StreamIndex>/g;

function firstChunkHasStart(body: string): boolean | undefined {
  const first = /<c\b[^>]*>/.exec(body);
  return first ? /\bt="\d+"/.test(first[0]) : undefined;
}

/**
 * Stream indexes whose first `<c>` lacks `t=`. ffmpeg 5.1 writes its final Smooth manifest that way
 * when no fragment left the window, while the fragments on disk start at the encoder delay
 * (`video=670000`, not 0): a client counting from 0 then gets 404s (FIELD-NOTES §4c; yt-dlp fails).
 */
export function smoothIndexesWithoutStart(text: string): SmoothIndexWithoutStart[] {
  const out: SmoothIndexWithoutStart[] = [];
  for (const m of text.matchAll(STREAM_INDEX_RE)) {
    if (firstChunkHasStart(m[2]) !== false) continue;
    const type = /\bType="([^"]+)"/.exec(m[1])?.[1];
    const bitrate = /<QualityLevel\b[^>]*\bBitrate="(\d+)"/.exec(m[2])?.[1];
    if (type && bitrate) out.push({ type, bitrate });
  }
  return out;
}

/**
 * Smooth manifest: its `Url="QualityLevels({bitrate})/Fragments(video={start time})"` template is
 * relative to the manifest's directory, which is the stream's base in both families that serve
 * Smooth (Wowza `/<app>/<stream>/`, IIS `/<stream>.isml/`), so no URL needs rewriting. The one
 * fix: a first chunk without `t=` gets the real start time of the first fragment on disk
 * (`startOf(type, bitrate)`), after which clients compute every later chunk's time from `d=`.
 */
export function rewriteSmoothManifest(
  text: string,
  startOf: (type: string, bitrate: string) => number | undefined = () => undefined,
): string {
  return text.replace(STREAM_INDEX_RE, (block: string, attrs: string, body: string) => {
    if (firstChunkHasStart(body) !== false) return block;
    const type = /\bType="([^"]+)"/.exec(attrs)?.[1];
    const bitrate = /<QualityLevel\b[^>]*\bBitrate="(\d+)"/.exec(body)?.[1];
    const start = type && bitrate ? startOf(type, bitrate) : undefined;
    if (start === undefined) return block;
    const fixed = body.replace(/<c\b/, `<c t="${start}"`);
    return `<StreamIndex${attrs}>${fixed}</StreamIndex>`;
  });
}

/** True for an HLS master playlist (variants), false for a media playlist (segments). */
export function isHlsMasterPlaylist(text: string): boolean {
  return /^#EXT-X-STREAM-INF:/m.test(text);
}

/**
 * A master playlist whose every URI (variant lines and `URI="…"` attributes) carries `query`, so a
 * player that picks a variant keeps the manifest's DVR parameters (Unified Origin, MediaPackage).
 */
export function carryQueryToUris(text: string, query: string): string {
  if (query === '') return text;
  const add = (uri: string) => `${uri}${uri.includes('?') ? '&' : '?'}${query}`;
  return text
    .split('\n')
    .map((line) => {
      const trimmed = line.trim();
      if (trimmed === '') return line;
      if (trimmed.startsWith('#')) return line.replace(/URI="([^"]*)"/g, (_m, uri: string) => `URI="${add(uri)}"`);
      const cr = line.endsWith('\r') ? '\r' : '';
      return add(trimmed) + cr;
    })
    .join('\n');
}

/** Playlist-wide tags (RFC 8216 §4.3.3, §4.3.5): they stay when segments are dropped. */
const HLS_HEADER_TAGS = new Set([
  '#EXTM3U',
  '#EXT-X-VERSION',
  '#EXT-X-TARGETDURATION',
  '#EXT-X-MEDIA-SEQUENCE',
  '#EXT-X-DISCONTINUITY-SEQUENCE',
  '#EXT-X-PLAYLIST-TYPE',
  '#EXT-X-INDEPENDENT-SEGMENTS',
  '#EXT-X-ALLOW-CACHE',
  '#EXT-X-START',
  '#EXT-X-SERVER-CONTROL',
  '#EXT-X-PART-INF',
]);

interface HlsSegmentBlock {
  lines: string[];
  durationMs: number;
  startMs: number;
  discontinuity: boolean;
}

function tagName(line: string): string {
  const colon = line.indexOf(':');
  return (colon === -1 ? line : line.slice(0, colon)).trim();
}

/**
 * A TS media playlist (as ffmpeg writes it, with a program date-time on its segments) cut to what
 * `sel` asks for (timeline/dvr-window.ts): the segments before the first listed one are dropped,
 * EXT-X-MEDIA-SEQUENCE and EXT-X-DISCONTINUITY-SEQUENCE advance by what was dropped (a
 * discontinuity on the new first segment counts too, and its tag goes: nothing listed precedes it).
 */
export function windowHlsPlaylist(text: string, sel: DvrSelection): string {
  const header: string[] = [];
  const segs: HlsSegmentBlock[] = [];
  const trailer: string[] = [];
  let pending: string[] = [];
  let lastEnd = NaN;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      if (HLS_HEADER_TAGS.has(tagName(line))) header.push(line);
      else if (tagName(line) === '#EXT-X-ENDLIST') trailer.push(line);
      else pending.push(line);
      continue;
    }
    const inf = pending.find((l) => l.startsWith('#EXTINF:'));
    const pdt = pending.find((l) => l.startsWith('#EXT-X-PROGRAM-DATE-TIME:'));
    const durationMs = inf ? Number.parseFloat(inf.slice('#EXTINF:'.length)) * 1000 : 0;
    const startMs = pdt ? (parseIsoDateTime(pdt.slice('#EXT-X-PROGRAM-DATE-TIME:'.length).trim()) ?? lastEnd) : lastEnd;
    segs.push({
      lines: [...pending, line],
      durationMs,
      startMs,
      discontinuity: pending.some((l) => tagName(l) === '#EXT-X-DISCONTINUITY'),
    });
    lastEnd = startMs + durationMs;
    pending = [];
  }
  const first = firstInWindow(segs, sel);
  if (first === 0) return text;
  const dropped = segs.slice(0, first + 1).filter((s) => s.discontinuity).length;
  const kept = segs.slice(first);
  if (kept[0]) kept[0] = { ...kept[0], lines: kept[0].lines.filter((l) => tagName(l) !== '#EXT-X-DISCONTINUITY') };
  const number = (tag: string) => Number(header.find((l) => tagName(l) === tag)?.slice(tag.length + 1) ?? 0) || 0;
  const seq = number('#EXT-X-MEDIA-SEQUENCE') + first;
  const disc = number('#EXT-X-DISCONTINUITY-SEQUENCE') + dropped;
  const head = header.filter((l) => tagName(l) !== '#EXT-X-MEDIA-SEQUENCE' && tagName(l) !== '#EXT-X-DISCONTINUITY-SEQUENCE');
  const at = Math.max(1, head.findIndex((l) => tagName(l) === '#EXT-X-TARGETDURATION') + 1);
  head.splice(at, 0, `#EXT-X-MEDIA-SEQUENCE:${seq}`, ...(disc > 0 ? [`#EXT-X-DISCONTINUITY-SEQUENCE:${disc}`] : []));
  return `${[...head, ...kept.flatMap((s) => s.lines), ...pending, ...trailer].join('\n')}\n`;
}
