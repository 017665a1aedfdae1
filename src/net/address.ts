// Pure: one canonical text form of a peer address, so that every limit and allow-list keyed by
// address sees the same client as the same string (a dual-stack socket reports an IPv4 peer as
// `::ffff:1.2.3.4`; NMS reports `addr:port`; IPv6 has many spellings of one address).
import { isIPv4 } from 'node:net';

/**
 * The canonical form of a peer address: `'::ffff:1.2.3.4'` → `'1.2.3.4'`, IPv6 in RFC 5952 form
 * (lower case, zeros compressed), no zone (`%eth0`), no port (`1.2.3.4:80`, `[::1]:80`).
 * `''` for undefined, empty, or anything that is not an IP address.
 */
export function normalizeAddress(raw: string | undefined): string {
  if (raw === undefined) return '';
  let s = raw.trim();
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) return '';
    const rest = s.slice(end + 1);
    if (rest !== '' && !(rest.startsWith(':') && isPort(rest.slice(1)))) return '';
    s = s.slice(1, end);
  } else if (!s.includes(':') || /^[\d.]+:\d{1,5}$/.test(s)) {
    // IPv4, with or without a port.
    const colon = s.indexOf(':');
    if (colon >= 0 && !isPort(s.slice(colon + 1))) return '';
    const v4 = colon < 0 ? s : s.slice(0, colon);
    return isIPv4(v4) ? v4 : '';
  }
  const groups = parseIPv6(s);
  return groups ? formatGroups(groups) : '';
}

function isPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) <= 65535;
}

/** The 128-bit value of an address in canonical form (IPv4 as its IPv4-mapped IPv6 value); undefined if not an address. */
export function addressBits(canonical: string): bigint | undefined {
  if (canonical === '') return undefined;
  if (isIPv4(canonical)) return IPV4_MAPPED | ipv4Value(canonical);
  const groups = parseIPv6(canonical);
  if (!groups) return undefined;
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

/** `::ffff:0:0/96`: where IPv4 addresses live in the IPv6 space. */
export const IPV4_MAPPED = 0xffffn << 32n;

function ipv4Value(dotted: string): bigint {
  return dotted.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

/** Eight 16-bit groups, or undefined. Accepts a trailing dotted IPv4 part and a `%zone` (dropped). */
function parseIPv6(text: string): number[] | undefined {
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) {
    if (!/^[A-Za-z0-9_.-]+$/.test(s.slice(zone + 1))) return undefined;
    s = s.slice(0, zone);
  }
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.slice(lastColon + 1).includes('.')) {
    const v4 = s.slice(lastColon + 1);
    if (!isIPv4(v4)) return undefined;
    const n = Number(ipv4Value(v4));
    tail.push(Math.floor(n / 65536), n % 65536);
    // Keep the groups before the IPv4 part: `::1.2.3.4` → `::`, `64:ff9b::1.2.3.4` → `64:ff9b::`, `1:2:3:4:5:6:1.2.3.4` → `1:2:3:4:5:6`.
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  if (!head) return undefined;
  if (halves.length === 1) {
    const all = [...head, ...tail];
    return all.length === 8 ? all : undefined;
  }
  const back = parse(halves[1]!);
  if (!back) return undefined;
  const known = head.length + back.length + tail.length;
  if (known > 7) return undefined;
  return [...head, ...new Array<number>(8 - known).fill(0), ...back, ...tail];
}

/** RFC 5952 text; an IPv4-mapped address is written as plain IPv4. */
function formatGroups(g: number[]): string {
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  }
  // The longest run of two or more zero groups (the first one on a tie) becomes `::`.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
