// Common Media Client Data (CTA-5004): what players such as hls.js and dash.js report about their
// playback, sent as a `CMCD` query parameter or as the CMCD-Request/-Object/-Session/-Status
// headers. Pure: parsed into the real-time log's `cmcd-*` fields, bounded in size.

/** CMCD key → real-time log field name, in CloudFront's order. */
export const CMCD_FIELDS = {
  br: 'cmcd-encoded-bitrate',
  bl: 'cmcd-buffer-length',
  bs: 'cmcd-buffer-starvation',
  cid: 'cmcd-content-id',
  d: 'cmcd-object-duration',
  dl: 'cmcd-deadline',
  mtp: 'cmcd-measured-throughput',
  nor: 'cmcd-next-object-request',
  nrr: 'cmcd-next-range-request',
  ot: 'cmcd-object-type',
  pr: 'cmcd-playback-rate',
  rtp: 'cmcd-requested-maximum-throughput',
  sf: 'cmcd-streaming-format',
  sid: 'cmcd-session-id',
  st: 'cmcd-stream-type',
  su: 'cmcd-startup',
  tb: 'cmcd-top-bitrate',
  v: 'cmcd-version',
} as const;

export type CmcdField = (typeof CMCD_FIELDS)[keyof typeof CMCD_FIELDS];
export const CMCD_HEADERS = ['cmcd-request', 'cmcd-object', 'cmcd-session', 'cmcd-status'] as const;

/** CTA-5004 caps string values at 64 characters; a whole CMCD payload larger than this is ignored. */
const MAX_VALUE_CHARS = 64;
const MAX_PAYLOAD_CHARS = 2048;

/** Splits `a=1,b="x,y",c` on the commas outside quoted strings. */
function members(payload: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < payload.length; i++) {
    const c = payload[i]!;
    if (quoted && c === '\\' && i + 1 < payload.length) {
      cur += c + payload[++i]!;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** One CMCD payload into `cmcd-*` fields; unknown keys and malformed members are skipped. */
export function parseCmcd(payload: string, into: Partial<Record<CmcdField, string>> = {}): Partial<Record<CmcdField, string>> {
  if (payload.length > MAX_PAYLOAD_CHARS) return into;
  for (const m of members(payload)) {
    const eq = m.indexOf('=');
    const key = (eq < 0 ? m : m.slice(0, eq)).trim();
    const field = (CMCD_FIELDS as Record<string, CmcdField | undefined>)[key];
    if (!field) continue;
    let value = eq < 0 ? 'true' : m.slice(eq + 1).trim(); // a key alone is a true boolean
    if (value.startsWith('"')) {
      if (!value.endsWith('"') || value.length < 2) continue;
      value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    } else if (!/^[A-Za-z0-9.\-_]+$/.test(value)) continue;
    if (value.length > MAX_VALUE_CHARS) continue;
    into[field] = value;
  }
  return into;
}

/** CMCD from a request: the `CMCD` query parameter, else the four CMCD headers. */
export function cmcdOf(rawQuery: string, headers: Record<string, string | string[] | undefined>): Partial<Record<CmcdField, string>> {
  for (const part of rawQuery ? rawQuery.split('&') : []) {
    if (!part.startsWith('CMCD=')) continue;
    try {
      return parseCmcd(decodeURIComponent(part.slice(5).replace(/\+/g, ' ')));
    } catch {
      return {};
    }
  }
  const out: Partial<Record<CmcdField, string>> = {};
  for (const h of CMCD_HEADERS) {
    const v = headers[h];
    if (v !== undefined) parseCmcd(Array.isArray(v) ? v.join(',') : v, out);
  }
  return out;
}
