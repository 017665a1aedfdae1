// Pure: the DASH manifest of a stream, generated from its timeline on request. Dynamic while
// live (SegmentTemplate `$Number$` over a SegmentTimeline, chunked low-latency delivery announced
// by availabilityTimeOffset, UTCTiming served by the origin, a ServiceDescription latency target);
// static once the publisher has left. One Period per packager run (a restart is a new timeline).
// Video and audio are separate AdaptationSets: dash.js does not play multiplexed representations.
import type { TimelineSegment, TrackTimeline } from '../timeline/track-timeline.js';
import { cmafNames } from '../timeline/output-layout.js';
import { listedSegments, targetDuration } from './llhls-playlist.js';
import type { DvrSelection } from '../timeline/dvr-window.js';

export interface MpdOptions {
  /** What is listed: the DVR window, shortened or started later by the request (timeline/dvr-window.ts). */
  window: DvrSelection;
  /** URL (absolute or root-relative) of the origin's clock, for UTCTiming. */
  utcTimingUrl: string;
  /** Latency the player should aim for, ms (ServiceDescription). */
  latencyTargetMs: number;
  /** The generation time (publishTime), ms since 1970. */
  nowMs: number;
  /** Put before media names (a family whose media sit below the manifest). */
  prefix?: string;
}

function iso(ms: number): string {
  return new Date(Math.round(ms)).toISOString();
}

function duration(seconds: number): string {
  return `PT${Math.max(0, Math.round(seconds * 1000) / 1000)}S`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** What the manifest is made from: a stream's tracks and whether its publisher left (a StreamTimeline). */
export interface MpdSource {
  readonly tracks: readonly TrackTimeline[];
  readonly ended: boolean;
}

/** The availabilityStartTime: the server clock at ingest of the stream's first part. */
export function availabilityStart(stream: MpdSource): number | undefined {
  const anchors = stream.tracks.map((t) => t.firstWallAnchorMs).filter((a): a is number => a !== undefined);
  return anchors.length ? Math.min(...anchors) : undefined;
}

/** Epoch ids present in the listed window of any track, oldest first. */
function periodIds(tracks: TrackTimeline[], window: DvrSelection): number[] {
  const ids = new Set<number>();
  for (const t of tracks) for (const s of listedSegments(t, window)) if (s.complete) ids.add(s.epoch);
  return [...ids].sort((a, b) => a - b);
}

function segmentTimeline(segs: TimelineSegment[]): string {
  const out: string[] = [];
  let prevEnd: number | undefined;
  for (const s of segs) {
    const t = prevEnd === s.start ? '' : ` t="${s.start}"`;
    out.push(`<S${t} d="${s.duration}"/>`);
    prevEnd = s.start + s.duration;
  }
  return out.join('');
}

export function dashManifest(stream: MpdSource, opts: MpdOptions): string | undefined {
  const ast = availabilityStart(stream);
  if (ast === undefined) return undefined;
  const tracks = stream.tracks.filter((t) => t.currentEpoch);
  const live = !stream.ended;
  const periods = periodIds(tracks, opts.window);
  if (periods.length === 0) return undefined;
  const prefix = opts.prefix ?? '';
  const anyTrack = tracks[0];
  const td = targetDuration(anyTrack);
  const part = anyTrack.opts.partTargetSeconds;

  const periodXml: string[] = [];
  let lastEndMs = ast;
  let firstStartMs: number | undefined;
  /** Program date-time of the first listed segment: the time-shift buffer reaches back to it. */
  let firstListedMs = Infinity;
  for (const epochId of periods) {
    // One AdaptationSet per kind; an ABR ladder's video tracks are Representations of one set, each
    // with its own SegmentTemplate (its numbers and timeline are its own).
    const byKind = new Map<
      string,
      { id: number; kind: string; entries: Array<{ template: string; shared: string; rep: string; open: string }> }
    >();
    let periodStartMs: number | undefined;
    for (const [i, t] of tracks.entries()) {
      const epoch = t.epoch(epochId);
      if (!epoch || epoch.wallAnchorMs === undefined || epoch.firstStart === undefined) continue;
      const segs = listedSegments(t, opts.window).filter((s) => s.complete && s.epoch === epochId);
      if (segs.length === 0) continue;
      periodStartMs = Math.min(periodStartMs ?? Infinity, epoch.wallAnchorMs);
      const info = epoch.info;
      const ts = info.timescale;
      const last = segs.at(-1)!;
      firstListedMs = Math.min(firstListedMs, t.pdtMs(epochId, segs[0].start));
      lastEndMs = Math.max(lastEndMs, epoch.wallAnchorMs + ((last.start + last.duration - epoch.firstStart) / ts) * 1000);
      const pto = live ? epoch.firstStart : segs[0].start;
      const bw = t.peakBitrate() || (info.kind === 'video' ? 2_000_000 : 128_000);
      const ato = live ? ` availabilityTimeOffset="${Math.max(0, td - part).toFixed(3)}" availabilityTimeComplete="false"` : '';
      const open =
        info.kind === 'video'
          ? `<Representation id="${esc(t.id)}" codecs="${esc(info.codec)}" bandwidth="${bw}"${info.width ? ` width="${info.width}" height="${info.height}"` : ''}`
          : `<Representation id="${esc(t.id)}" codecs="${esc(info.codec)}" bandwidth="${bw}"${info.sampleRate ? ` audioSamplingRate="${info.sampleRate}"` : ''}`;
      const inner =
        info.kind === 'audio' && info.channels
          ? `<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="${info.channels}"/>`
          : '';
      const templateOf = (id: string) =>
        `<SegmentTemplate timescale="${ts}" presentationTimeOffset="${pto}" startNumber="${segs[0].msn}"${ato}` +
        ` initialization="${esc(prefix + cmafNames.init(id, epochId))}" media="${esc(prefix + cmafNames.segmentTemplate(id))}">` +
        `<SegmentTimeline>${segmentTimeline(segs)}</SegmentTimeline></SegmentTemplate>`;
      const group = byKind.get(info.kind) ?? { id: i, kind: info.kind, entries: [] };
      group.entries.push({ template: templateOf(t.id), shared: templateOf('$RepresentationID$'), rep: inner, open });
      byKind.set(info.kind, group);
    }
    const sets: string[] = [];
    for (const g of byKind.values()) {
      const head = `<AdaptationSet id="${g.id}" contentType="${g.kind}" mimeType="${g.kind}/mp4" segmentAlignment="true" startWithSAP="1">`;
      if (g.entries.length === 1) {
        const e = g.entries[0]!;
        const rep = e.rep ? `${e.open}>${e.rep}</Representation>` : g.kind === 'video' ? `${e.open}/>` : `${e.open}></Representation>`;
        sets.push(`${head}${e.template}${rep}</AdaptationSet>`);
      } else if (g.entries.every((e) => e.shared === g.entries[0]!.shared)) {
        // An aligned ladder (same numbers, same timeline): one template naming each Representation,
        // the form players handle best.
        const reps = g.entries.map((e) => (e.rep ? `${e.open}>${e.rep}</Representation>` : `${e.open}/>`)).join('');
        sets.push(`${head}${g.entries[0]!.shared}${reps}</AdaptationSet>`);
      } else {
        sets.push(`${head}${g.entries.map((e) => `${e.open}>${e.template}${e.rep}</Representation>`).join('')}</AdaptationSet>`);
      }
    }
    if (periodStartMs === undefined) continue;
    firstStartMs ??= periodStartMs;
    // A static MPD's periods start at 0 with the first segment it lists.
    const start = live ? periodStartMs - ast : periodStartMs - firstStartMs;
    periodXml.push(`<Period id="p${epochId}" start="${duration(start / 1000)}">${sets.join('')}</Period>`);
  }
  if (periodXml.length === 0) return undefined;

  // What is listed, plus one target duration: the oldest listed segment stays available until the
  // next MPD update (minimumUpdatePeriod) lists the window's new start.
  const window = Number.isFinite(firstListedMs) ? (lastEndMs - firstListedMs) / 1000 + td : td;
  const head = live
    ? `type="dynamic" availabilityStartTime="${iso(ast)}" publishTime="${iso(opts.nowMs)}" minimumUpdatePeriod="${duration(td)}"` +
      ` timeShiftBufferDepth="${duration(window)}" maxSegmentDuration="${duration(td)}" minBufferTime="${duration(Math.min(2, td))}"`
    : `type="static" mediaPresentationDuration="${duration((lastEndMs - (firstStartMs ?? ast)) / 1000)}" minBufferTime="${duration(Math.min(2, td))}"`;
  const service = live
    ? `<ServiceDescription id="0"><Latency referenceId="0" target="${Math.round(opts.latencyTargetMs)}" min="${Math.round(opts.latencyTargetMs / 2)}" max="${Math.round(opts.latencyTargetMs * 2)}"/><PlaybackRate min="0.96" max="1.04"/></ServiceDescription>`
    : '';
  const utc = live ? `<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="${esc(opts.utcTimingUrl)}"/>` : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" ${head}>` +
    service +
    periodXml.join('') +
    utc +
    '</MPD>\n'
  );
}
