// The hit lane's request parser: a strict reader of the narrow subset of HTTP/1.1 a cached hit
// needs (RFC 9112 §3 request line, §5 field lines), and nothing else. Pure. It never decides what
// node:http would decide differently: every byte sequence it is not sure of — an incomplete head,
// a bare LF or CR, obs-fold, obs-text, a header that frames a body or changes the answer
// (Transfer-Encoding, Content-Length, Range, If-*, Authorization, Expect, Upgrade…), a duplicate
// field, too many lines or bytes — comes back as `handoff`, and the whole request goes to node:http
// and the staged pipeline untouched.
import { isApiVersionPrefix } from '../control/routes.js';

/** The limits recv applies (ORG-03); a request over them is node:http's and recv's to refuse. */
export interface LaneParseLimits {
  maxUrlBytes: number;
  maxRequestBytes: number;
  maxHeaderCount: number;
}

export interface LaneRequest {
  kind: 'request';
  method: 'GET' | 'HEAD';
  /** The request target exactly as sent (origin-form). */
  target: string;
  /** The Host field value, OWS trimmed (what node:http's req.headers.host holds). */
  host: string;
  /** The Accept-Encoding field value, OWS trimmed; undefined when absent. */
  acceptEncoding: string | undefined;
  /** The Cookie field value, OWS trimmed; undefined when absent. */
  cookie: string | undefined;
  /** User-Agent, Referer and X-Forwarded-For values, OWS trimmed (the access log's); undefined when absent. */
  userAgent: string | undefined;
  referer: string | undefined;
  forwardedFor: string | undefined;
  /** The field lines as [name, value, …], names as sent, values trimmed (node:http's rawHeaders). */
  rawHeaders: string[];
  /** ORG-03's request size as recv counts it (requestHeaderBytes). */
  headerBytes: number;
  /** Offset just past the blank line ending the head. */
  end: number;
}

export interface LaneHandoff {
  kind: 'handoff';
  reason: string;
}

export type LaneParse = LaneRequest | LaneHandoff;

/**
 * Viewer fields a lane request may carry, in the spelling nearly every HTTP/1.1 client sends: the
 * Host, and fields no memo-safe behaviour keys or forwards into the cache key (memo-safety.ts
 * checks a behaviour's keyed names against this list), nor uses to choose the answer of a hit. Any
 * other field name sends the request to node:http. A field name with exactly these bytes is known
 * without making a string of it (the common case); any other spelling is lower-cased and looked up.
 */
const CANONICAL: readonly { name: string; lower: string; bytes: Buffer }[] = [
  'Host',
  'Accept-Encoding',
  'User-Agent',
  'Accept',
  'Accept-Language',
  'Referer',
  'Cookie',
  'X-Forwarded-For',
  'Connection',
  'Cache-Control',
  'Pragma',
].map((name) => ({ name, lower: name.toLowerCase(), bytes: Buffer.from(name, 'latin1') }));

/** The lane's fields, lower case. */
export const LANE_FIELDS: ReadonlySet<string> = new Set(CANONICAL.map((c) => c.lower));

/** LANE_FIELDS' names, each with its index in CANONICAL (its bit for the duplicate check is 1 << index). */
const FIELD_INDEX = new Map(CANONICAL.map((c, i) => [c.lower, i]));
const fieldIndex = (lower: string): number => FIELD_INDEX.get(lower)!;
/** CANONICAL's indexes of the fields whose values the lane reads. */
const HOST = fieldIndex('host');
const ACCEPT_ENCODING = fieldIndex('accept-encoding');
const USER_AGENT = fieldIndex('user-agent');
const REFERER = fieldIndex('referer');
const COOKIE = fieldIndex('cookie');
const X_FORWARDED_FOR = fieldIndex('x-forwarded-for');
const CONNECTION = fieldIndex('connection');

/** The canonical spelling `buf[from, to)` has, or -1. */
function canonicalIndex(buf: Buffer, from: number, to: number): number {
  const n = to - from;
  for (let i = 0; i < CANONICAL.length; i++) {
    const b = CANONICAL[i]!.bytes;
    if (b.length !== n || b[0] !== buf[from]) continue;
    let k = 1;
    while (k < n && b[k] === buf[from + k]) k++;
    if (k === n) return i;
  }
  return -1;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** RFC 9110 §5.6.2 tchar, by byte. */
const TCHAR = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;
for (const ch of "!#$%&'*+-.^_`|~") TCHAR[ch.charCodeAt(0)] = 1;

const handoff = (reason: string): LaneHandoff => ({ kind: 'handoff', reason });
const INCOMPLETE = handoff('incomplete head');

const GET = [0x47, 0x45, 0x54, SP];
const HEAD = [0x48, 0x45, 0x41, 0x44, SP];
/** ` HTTP/1.1\r\n` */
const VERSION = [SP, 0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e, 0x31, CR, LF];

function startsWith(buf: Buffer, at: number, bytes: readonly number[]): boolean {
  if (at + bytes.length > buf.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
}

/**
 * Paths the lane never answers, whatever the memo holds (which only the pipeline's viewer hits
 * fill): the edge's own endpoints and the control API, also when escapes in the first segment
 * could decode to one of them.
 */
function reservedTarget(target: string): boolean {
  if (target.startsWith('/_edge/') || target.charCodeAt(1) === 0x25) return true;
  if (!target.startsWith('/20')) return false;
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  return isApiVersionPrefix(path) || path.includes('%');
}

/**
 * Parses one request head starting at `start` in `buf`. Returns the request when it is complete,
 * within the subset and within the limits; anything else is a handoff with the reason.
 */
export function parseLaneHead(buf: Buffer, start: number, limits: LaneParseLimits): LaneParse {
  const len = buf.length;
  let p = start;
  let method: 'GET' | 'HEAD';
  if (startsWith(buf, p, GET)) {
    method = 'GET';
    p += 4;
  } else if (startsWith(buf, p, HEAD)) {
    method = 'HEAD';
    p += 5;
  } else {
    return len - start < 5 ? INCOMPLETE : handoff('method');
  }
  const targetStart = p;
  if (p >= len) return INCOMPLETE;
  if (buf[p] !== 0x2f) return handoff('target form');
  // The target: visible ASCII only.
  while (p < len) {
    const c = buf[p]!;
    if (c <= SP || c >= 0x7f) break;
    p++;
  }
  if (p >= len) return p - targetStart > limits.maxUrlBytes ? handoff('target length') : INCOMPLETE;
  const targetEnd = p;
  if (targetEnd - targetStart > limits.maxUrlBytes) return handoff('target length');
  if (buf[p] !== SP) return handoff('target byte');
  if (p + VERSION.length > len) {
    // Incomplete only when what is there is a prefix of the version.
    for (let i = 0; p + i < len; i++) if (buf[p + i] !== VERSION[i]) return handoff('version');
    return INCOMPLETE;
  }
  if (!startsWith(buf, p, VERSION)) return handoff('version');
  p += VERSION.length;
  const target = latin1(buf, targetStart, targetEnd);
  if (reservedTarget(target)) return handoff('reserved path');
  const rawHeaders: string[] = [];
  let seen = 0; // 1 << CANONICAL index of each field so far
  let host: string | undefined;
  let acceptEncoding: string | undefined;
  let cookie: string | undefined;
  let userAgent: string | undefined;
  let referer: string | undefined;
  let forwardedFor: string | undefined;
  // recv's count: method + target + " HTTP/1.1\r\n"-ish constant 12, each name and value + 2, the blank line.
  let headerBytes = method.length + target.length + 12 + 2;
  for (;;) {
    if (p >= len) return INCOMPLETE;
    if (buf[p] === CR) {
      if (p + 1 >= len) return INCOMPLETE;
      if (buf[p + 1] !== LF) return handoff('CR without LF');
      p += 2;
      break;
    }
    // field-name
    const nameStart = p;
    while (p < len && TCHAR[buf[p]!] === 1) p++;
    if (p >= len) return INCOMPLETE;
    if (p === nameStart || buf[p] !== COLON) return handoff('field name');
    const nameEnd = p++;
    // OWS field-value OWS CRLF
    while (p < len && (buf[p] === SP || buf[p] === HTAB)) p++;
    const valueStart = p;
    let valueEnd = p;
    for (;;) {
      if (p >= len) return INCOMPLETE;
      const c = buf[p]!;
      if (c === CR) break;
      if (c === HTAB || (c >= SP && c < 0x7f)) {
        p++;
        if (c !== SP && c !== HTAB) valueEnd = p;
        continue;
      }
      return handoff(c === LF ? 'LF without CR' : 'field value byte');
    }
    if (p + 1 >= len) return INCOMPLETE;
    if (buf[p + 1] !== LF) return handoff('CR without LF');
    p += 2;
    if (rawHeaders.length / 2 >= limits.maxHeaderCount) return handoff('header count');
    let field = canonicalIndex(buf, nameStart, nameEnd);
    let name: string;
    if (field >= 0) name = CANONICAL[field]!.name;
    else {
      name = latin1(buf, nameStart, nameEnd);
      const lower = name.toLowerCase();
      field = FIELD_INDEX.get(lower) ?? -1;
      if (field < 0) return handoff(`field ${lower}`);
    }
    // Every lane field once: node:http joins, drops or keeps duplicates field by field, and the
    // lane would have to do the same; it does not try.
    const bit = 1 << field;
    if ((seen & bit) !== 0) return handoff(`duplicate ${CANONICAL[field]!.lower}`);
    seen |= bit;
    const value = latin1(buf, valueStart, valueEnd);
    switch (field) {
      case HOST:
        host = value;
        break;
      case ACCEPT_ENCODING:
        acceptEncoding = value;
        break;
      case COOKIE:
        cookie = value;
        break;
      case USER_AGENT:
        userAgent = value;
        break;
      case REFERER:
        referer = value;
        break;
      case X_FORWARDED_FOR:
        forwardedFor = value;
        break;
      case CONNECTION:
        if (value.toLowerCase() !== 'keep-alive') return handoff('connection option');
    }
    rawHeaders.push(name, value);
    headerBytes += name.length + value.length + 4;
    if (headerBytes > limits.maxRequestBytes) return handoff('request size');
  }
  if (host === undefined) return handoff('no host');
  return {
    kind: 'request',
    method,
    target,
    host,
    acceptEncoding,
    cookie,
    userAgent,
    referer,
    forwardedFor,
    rawHeaders,
    headerBytes,
    end: p,
  };
}

/** Buffer's Latin-1 decoder without the encoding dispatch of toString() (present on every Buffer). */
interface LatinSliceable {
  latin1Slice(from: number, to: number): string;
}

function latin1(buf: Buffer, from: number, to: number): string {
  return (buf as unknown as LatinSliceable).latin1Slice(from, to);
}

/**
 * The memo's key for a request: what a memo-safe behaviour's answer depends on, and nothing else
 * (method, Host text, raw target, raw Accept-Encoding, raw Cookie). With the Cookie text in the key,
 * a behaviour that keys cookies (CK-04, POL-02) is memo-safe too. LF separates the parts: none may
 * hold one (the parser refuses it).
 */
export function memoKeyOf(
  method: string,
  host: string,
  target: string,
  acceptEncoding: string | undefined,
  cookie: string | undefined,
): string {
  const coding = acceptEncoding === undefined ? '-' : `=${acceptEncoding}`;
  return `${method}\n${host}\n${target}\n${coding}\n${cookie === undefined ? '-' : `=${cookie}`}`;
}

/**
 * Whether a request node:http parsed has the lane's shape (its fields only, each once, Connection
 * keep-alive at most): the pipeline may then remember its hit for the lane, whose requests of that
 * key have the same shape. `rawHeaders` as node:http gives them.
 */
export function laneShaped(rawHeaders: readonly string[], httpVersion: string): boolean {
  if (httpVersion !== '1.1') return false;
  let seen = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i]!.toLowerCase();
    if (!LANE_FIELDS.has(lower)) return false;
    for (let j = 0; j < i; j += 2) if (rawHeaders[j]!.toLowerCase() === lower) return false;
    if (lower === 'connection' && rawHeaders[i + 1]!.toLowerCase() !== 'keep-alive') return false;
    seen++;
  }
  return seen > 0;
}
