// Pure: the DASH manifest of a stream, generated from its timeline on request. Dynamic while
// live (SegmentTemplate `$Number$` over a SegmentTimeline, chunked low-latency delivery announced
// by availabilityTimeOffset, UTCTiming served by the origin, a ServiceDescription latency target);
// static once the publisher has left. One Period per packager run (a restart is a new timeline),
// and a new one where the run's ingest clock stepped forward (see timeline/ingest-clock.ts).
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

/** The availabilityStartTime: the server clock at ingest of the stream's first media time. */
export function availabilityStart(stream: MpdSource): number | undefined {
  const anchors = stream.tracks.map((t) => t.firstWallAnchorMs).filter((a): a is number => a !== undefined);
  return anchors.length ? Math.min(...anchors) : undefined;
}

/** The track whose cuts the others follow, and whose runs' ingest clocks place the Periods. */
function leadTrack(tracks: TrackTimeline[]): TrackTimeline | undefined {
  return tracks.find((t) => t.currentEpoch?.info.kind === 'video') ?? tracks[0];
}

/**
 * The segments a live MPD lists for a track: the window's complete ones and the one being
 * produced (chunked low-latency delivery: a player that may only ask for what the SegmentTimeline
 * announces must see the live edge's segment while it grows, or it waits a whole segment
 * behind the availability its clock computes). The open segment gets a predicted duration.
 */
function mpdSegments(t: TrackTimeline, window: DvrSelection, live: boolean): TimelineSegment[] {
  return listedSegments(t, window).filter((s) => s.complete || (live && s.parts.length > 0));
}

/**
 * Duration announced for a segment, ticks. The open one's is predicted as the target plus half a
 * part (the longest a cut that follows another track's can make it), or what it already holds
 * plus a part: a player asks for the next segment at the announced end, so the prediction must
 * not fall short of the real end.
 */
function announcedTicks(t: TrackTimeline, s: TimelineSegment, predictSeconds: number): number {
  if (s.complete) return s.duration;
  const ts = t.timescale(s.epoch);
  return Math.max(Math.round(predictSeconds * ts), s.duration + Math.round(t.opts.partTargetSeconds * ts));
}

function segmentTimeline(t: TrackTimeline, segs: TimelineSegment[], predictSeconds: number): string {
  const out: string[] = [];
  let prevEnd: number | undefined;
  for (const s of segs) {
    const d = announcedTicks(t, s, predictSeconds);
    const at = prevEnd === s.start ? '' : ` t="${s.start}"`;
    out.push(`<S${at} d="${d}"/>`);
    prevEnd = s.start + s.duration;
  }
  return out.join('');
}

export function dashManifest(stream: MpdSource, opts: MpdOptions): string | undefined {
  const ast = availabilityStart(stream);
  if (ast === undefined) return undefined;
  const tracks = stream.tracks.filter((t) => t.currentEpoch);
  const lead = leadTrack(tracks);
  if (!lead) return undefined;
  const live = !stream.ended;
  // Nothing before the first complete segment: the ingest clock settles over it.
  if (!tracks.some((t) => t.segments.some((s) => s.complete))) return undefined;
  const prefix = opts.prefix ?? '';
  const td = targetDuration(lead);
  const part = lead.opts.partTargetSeconds;
  const predict = td + part / 2;
  const listed = new Map(tracks.map((t) => [t, mpdSegments(t, opts.window, live)]));
  const epochIds = [...new Set(tracks.flatMap((t) => listed.get(t)!.map((s) => s.epoch)))].sort((a, b) => a - b);

  const periodXml: string[] = [];
  let baseMs: number | undefined;
  let lastEndMs = ast;
  /** Program date-time of the first listed segment: the time-shift buffer reaches back to it. */
  let firstListedMs = Infinity;
  for (const epochId of epochIds) {
    const clock = (lead.epoch(epochId) ?? tracks.map((t) => t.epoch(epochId)).find(Boolean))?.clock;
    if (!clock) continue;
    const anchors = clock.anchors;
    // One Period per mapping of the run's media time to the ingest clock: a run whose clock
    // stepped forward continues in a new Period that starts where the step put it.
    for (const [k, anchor] of anchors.entries()) {
      const next = anchors[k + 1];
      // A following track's cut lands within half a part of the lead's, on either side.
      const inPeriod = (t: TrackTimeline, s: TimelineSegment): boolean => {
        const at = s.start / t.timescale(s.epoch) + part / 2;
        return s.epoch === epochId && (k === 0 || at >= anchor.fromSeconds) && (!next || at < next.fromSeconds);
      };
      const members = tracks.map((t) => [t, listed.get(t)!.filter((s) => inPeriod(t, s))] as const).filter(([, segs]) => segs.length > 0);
      if (members.length === 0) continue;
      // A static MPD starts each Period with the first media it lists.
      const fromSeconds = live
        ? anchor.fromSeconds
        : Math.max(anchor.fromSeconds, Math.min(...members.map(([t, segs]) => segs[0].start / t.timescale(epochId))));
      const startMs = clock.wallAt(fromSeconds);
      baseMs ??= live ? ast : startMs;
      // One AdaptationSet per kind; an ABR ladder's video tracks are Representations of one set, each
      // with its own SegmentTemplate unless their numbers and timelines agree.
      const byKind = new Map<
        string,
        { id: number; kind: string; entries: Array<{ template: string; shared: string; rep: string; open: string }> }
      >();
      for (const [t, segs] of members) {
        const epoch = t.epoch(epochId)!;
        const info = epoch.info;
        const ts = info.timescale;
        const last = segs.findLast((s) => s.complete);
        firstListedMs = Math.min(firstListedMs, t.pdtMs(epochId, segs[0].start));
        if (last) lastEndMs = Math.max(lastEndMs, clock.wallAt((last.start + last.duration) / ts));
        const bw = t.peakBitrate() || (info.kind === 'video' ? 2_000_000 : 128_000);
        const ato = live ? ` availabilityTimeOffset="${Math.max(0, predict - part).toFixed(3)}" availabilityTimeComplete="false"` : '';
        const open =
          info.kind === 'video'
            ? `<Representation id="${esc(t.id)}" codecs="${esc(info.codec)}" bandwidth="${bw}"${info.width ? ` width="${info.width}" height="${info.height}"` : ''}`
            : `<Representation id="${esc(t.id)}" codecs="${esc(info.codec)}" bandwidth="${bw}"${info.sampleRate ? ` audioSamplingRate="${info.sampleRate}"` : ''}`;
        const inner =
          info.kind === 'audio' && info.channels
            ? `<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="${info.channels}"/>`
            : '';
        const templateOf = (id: string) =>
          `<SegmentTemplate timescale="${ts}" presentationTimeOffset="${Math.round(fromSeconds * ts)}" startNumber="${segs[0].msn}"${ato}` +
          ` initialization="${esc(prefix + cmafNames.init(id, epochId))}" media="${esc(prefix + cmafNames.segmentTemplate(id))}">` +
          `<SegmentTimeline>${segmentTimeline(t, segs, predict)}</SegmentTimeline></SegmentTemplate>`;
        const group = byKind.get(info.kind) ?? { id: tracks.indexOf(t), kind: info.kind, entries: [] };
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
      const id = k === 0 ? `p${epochId}` : `p${epochId}-${k}`;
      periodXml.push(`<Period id="${id}" start="${duration((startMs - baseMs) / 1000)}">${sets.join('')}</Period>`);
    }
  }
  if (periodXml.length === 0) return undefined;

  // What is listed, plus one target duration: the oldest listed segment stays available until the
  // next MPD update (minimumUpdatePeriod) lists the window's new start.
  const window = Number.isFinite(firstListedMs) ? (lastEndMs - firstListedMs) / 1000 + td : td;
  const head = live
    ? `type="dynamic" availabilityStartTime="${iso(ast)}" publishTime="${iso(opts.nowMs)}" minimumUpdatePeriod="${duration(Math.min(td, Math.max(1, part)))}"` +
      ` timeShiftBufferDepth="${duration(window)}" maxSegmentDuration="${duration(td)}" minBufferTime="${duration(Math.min(2, td))}"`
    : `type="static" mediaPresentationDuration="${duration((lastEndMs - (baseMs ?? ast)) / 1000)}" minBufferTime="${duration(Math.min(2, td))}"`;
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
