// Pure: the DVR parameters of a manifest URL, checked once. `dvr_window_length=<seconds>` shortens
// what a live manifest lists (as Unified Origin does); `start=<ISO-8601 | epoch seconds>` gives a
// start-over manifest beginning at the segment containing that time (as MediaPackage's time-shift
// does). A bad value is a 400 with the reason; a master playlist passes `carry` on to its variants.
import { fail, ok, type Result } from '../result.js';

export const DVR_PARAMS = ['dvr_window_length', 'start'] as const;

export interface DvrQuery {
  dvrWindowLength?: number;
  startMs?: number;
  /** The DVR parameters as a query string (`dvr_window_length=60&start=…`), '' when none: what variant URLs carry. */
  carry: string;
}

const LENGTH_RE = /^[1-9]\d{0,5}$/;
const EPOCH_RE = /^\d{1,11}(\.\d{1,6})?$/;
// RFC 3339 / ISO-8601 extended date-time with a zone: `2026-12-01T10:00:00Z`, `…+01:00`, `…+0100`
// (ffmpeg writes its program date-times that way), optional seconds and fraction.
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}(?::?\d{2})?)$/;

/** An ISO-8601 date-time with a zone, as ms since 1970; undefined when it is not one or names no real time. */
export function parseIsoDateTime(text: string): number | undefined {
  const m = ISO_RE.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const frac = m[7] === undefined ? 0 : Number(m[7]);
  if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate() || h > 23 || mi > 59 || s > 59) return undefined;
  let offsetMin = 0;
  const zone = m[8]!;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return Date.UTC(y, mo - 1, d, h, mi, s) + Math.round(frac * 1000) - offsetMin * 60_000;
}

/** `start`: epoch seconds or ISO-8601 with a zone; ms since 1970. */
export function parseStart(raw: string): Result<number> {
  if (EPOCH_RE.test(raw)) return ok(Math.round(Number(raw) * 1000));
  // An unencoded `+` in a query string arrives as a space: `…T10:00:00 01:00` meant `+01:00`.
  const iso = parseIsoDateTime(raw.replace(/ (\d{2}(?::?\d{2})?)$/, '+$1'));
  if (iso !== undefined) return ok(iso);
  return fail(
    `start must be epoch seconds or an ISO-8601 date-time with a zone (2026-12-01T10:00:00Z), got ${JSON.stringify(raw.slice(0, 60))}`,
  );
}

/**
 * The DVR parameters of a query (`get` gives the one value of a parameter; repeats are refused
 * before), checked against the server clock: a start in the future is refused (nothing can list
 * it), a start before the DVR window is clamped by the window rule (timeline/dvr-window.ts).
 */
export function parseDvrQuery(get: (name: string) => string | undefined, nowMs: number): Result<DvrQuery> {
  const out: DvrQuery = { carry: '' };
  const carry: string[] = [];
  const length = get('dvr_window_length');
  if (length !== undefined) {
    if (!LENGTH_RE.test(length))
      return fail(`dvr_window_length must be a whole number of seconds from 1 to 999999, got ${JSON.stringify(length.slice(0, 60))}`);
    out.dvrWindowLength = Number(length);
    carry.push(`dvr_window_length=${length}`);
  }
  const start = get('start');
  if (start !== undefined) {
    const t = parseStart(start);
    if (!t.ok) return t;
    if (t.value > nowMs)
      return fail(`start ${new Date(t.value).toISOString()} is in the future (server time ${new Date(nowMs).toISOString()})`);
    out.startMs = t.value;
    carry.push(`start=${encodeURIComponent(start)}`);
  }
  out.carry = carry.join('&');
  return ok(out);
}

/** The DVR parameters of a request URL (`/path?query`); a DVR parameter given twice is refused. */
export function dvrQueryOf(url: string, nowMs: number): Result<DvrQuery> {
  const at = url.indexOf('?');
  const params = new URLSearchParams(at >= 0 ? url.slice(at + 1) : '');
  for (const k of DVR_PARAMS) if (params.getAll(k).length > 1) return fail(`${k} given more than once`);
  return parseDvrQuery((k) => params.get(k) ?? undefined, nowMs);
}
