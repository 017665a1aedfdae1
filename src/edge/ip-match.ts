// IPv4 CIDR matching for signed-URL IpAddress conditions (SPEC SIG-03) and the static
// geo table (GEO-01). Pure.

/** The IPv4 address as an unsigned 32-bit number, or undefined for anything else (IPv4-mapped IPv6 accepted). */
export function ipv4ToNumber(ip: string): number | undefined {
  const s = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** A matcher for `a.b.c.d/n` (or a bare address, /32); throws on a malformed CIDR. */
export function compileCidr(cidr: string): (ip: string) => boolean {
  const [addr, bitsText] = cidr.split('/');
  const base = ipv4ToNumber(addr ?? '');
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32 || (bitsText !== undefined && !/^\d+$/.test(bitsText))) {
    throw new Error(`invalid IPv4 CIDR: ${cidr}`);
  }
  const size = 2 ** (32 - bits);
  const start = Math.floor(base / size) * size;
  return (ip) => {
    const n = ipv4ToNumber(ip);
    return n !== undefined && n >= start && n < start + size;
  };
}

/** Country of `ip` from a static table (first matching row), or undefined. */
export function countryOf(table: readonly { match: (ip: string) => boolean; country: string }[], ip: string): string | undefined {
  for (const row of table) if (row.match(ip)) return row.country;
  return undefined;
}
