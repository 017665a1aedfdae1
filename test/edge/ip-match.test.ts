// GEO-01's static address → country table through the one CIDR matcher (src/net/cidr.ts): IPv4
// and IPv6 rows, IPv4-mapped viewers, first matching row wins.
import { describe, expect, it } from 'vitest';
import { edgeConfigSchema } from '../../src/config/edge.js';
import { geoTable } from '../../src/edge/distribution.js';
import { countryOf } from '../../src/edge/ip-match.js';

const table = geoTable(
  edgeConfigSchema.parse({
    ipCountries: [
      { cidr: '2001:db8:1::/48', country: 'DE' },
      { cidr: '2001:db8::/32', country: 'NL' },
      { cidr: '192.0.2.0/24', country: 'FR' },
      { cidr: '198.51.100.7', country: 'BE' },
    ],
  }),
);

describe('countryOf', () => {
  it.each<[string, string | undefined]>([
    ['2001:db8:1::9', 'DE'],
    ['2001:db8:2::9', 'NL'],
    ['2001:DB8::1', 'NL'],
    ['2001:db9::1', undefined],
    ['192.0.2.200', 'FR'],
    ['::ffff:192.0.2.200', 'FR'],
    ['192.0.3.1', undefined],
    ['198.51.100.7', 'BE'],
    ['198.51.100.8', undefined],
    ['::1', undefined],
    ['not an address', undefined],
  ])('%s → %s', (ip, country) => {
    expect(countryOf(table, ip)).toBe(country);
  });
});
