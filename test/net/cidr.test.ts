import { describe, expect, it } from 'vitest';
import { compileCidr, isIPv4Address } from '../../src/net/cidr.js';

describe('compileCidr: IPv4 and IPv6 blocks in one address space', () => {
  it.each([
    // [cidr, address, matches]
    ['10.0.0.0/8', '10.200.3.4', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['10.0.0.0/8', '[::ffff:10.1.2.3]:99', true],
    ['10.0.0.0/8', '10.1.2.3:1935', true],
    ['10.1.2.3/8', '10.9.9.9', true],
    ['192.168.1.0/24', '192.168.1.255', true],
    ['192.168.1.0/24', '192.168.2.1', false],
    ['127.0.0.1', '127.0.0.1', true],
    ['127.0.0.1', '127.0.0.2', false],
    ['127.0.0.1/32', '127.0.0.1', true],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['0.0.0.0/0', '::1', false],
    ['::ffff:192.0.2.0/120', '192.0.2.77', true],
    ['::ffff:192.0.2.0/120', '192.0.3.1', false],
    ['::ffff:10.0.0.0/104', '10.5.5.5', true],
    ['2001:db8::/32', '2001:db8:1::5', true],
    ['2001:db8::/32', '2001:DB8:FFFF::5', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['2001:db8::/32', '10.0.0.1', false],
    ['::1', '::1', true],
    ['::1', '[::1]:1935', true],
    ['::1', '0:0:0:0:0:0:0:1', true],
    ['::1', '::2', false],
    ['::1/128', '::1', true],
    ['::/0', '2001:db8::1', true],
    ['::/0', '1.2.3.4', true],
    ['fe80::/10', 'fe80::1%eth0', true],
    ['fe80::/10', 'fec0::1', false],
    ['10.0.0.0/8', 'not-an-ip', false],
    ['10.0.0.0/8', '', false],
    ['::/0', '', false],
  ])('%s contains %j: %s', (cidr, address, want) => {
    expect(compileCidr(cidr)(address)).toBe(want);
  });

  it.each([
    '',
    'banana',
    '10.0.0.0/33',
    '10.0.0.1/8/2',
    '2001:db8::/129',
    '10.0.0.0/x',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/+8',
    '10.0.0.0/ 8',
    '/8',
    '256.0.0.0/8',
    '10.0.0/8',
    '[::1]/128',
    '1.2.3.4:80',
    'fe80::1%eth0/64',
    '1::2::3/64',
  ])('throws on the malformed CIDR %j', (cidr) => {
    expect(() => compileCidr(cidr)).toThrow(/invalid CIDR/);
  });

  it.each([
    ['1.2.3.4', true],
    ['::ffff:1.2.3.4', true],
    ['::1', false],
    ['x', false],
  ])('isIPv4Address(%j) = %s', (address, want) => {
    expect(isIPv4Address(address)).toBe(want);
  });
});
