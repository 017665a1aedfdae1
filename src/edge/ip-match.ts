// The static address → country table of geo restriction (SPEC GEO-01) and
// CloudFront-Viewer-Country. Its CIDRs, IPv4 and IPv6, are compiled by src/net/cidr.ts, the one
// CIDR matcher (signed-policy `AWS:SourceIp` conditions use it too). Pure.

/** Country of `ip` from a static table (first matching row), or undefined. */
export function countryOf(table: readonly { match: (ip: string) => boolean; country: string }[], ip: string): string | undefined {
  for (const row of table) if (row.match(ip)) return row.country;
  return undefined;
}
