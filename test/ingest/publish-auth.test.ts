import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decidePublish, ipAllowList, isValidPublishKey, publishKey } from '../../src/ingest/publish-auth.js';
import { normalizeAddress } from '../../src/net/address.js';

const SECRET = 's3cr3t';

describe('publishKey', () => {
  it('is hex HMAC-SHA256(secret, "<app>/<name>")', () => {
    const want = createHmac('sha256', SECRET).update('cfx/st/talk').digest('hex');
    expect(publishKey(SECRET, { app: 'cfx/st', name: 'talk' })).toBe(want);
    expect(want).toMatch(/^[0-9a-f]{64}$/);
  });
  it('differs per stream and per secret', () => {
    expect(publishKey(SECRET, { app: 'live', name: 'a' })).not.toBe(publishKey(SECRET, { app: 'live', name: 'b' }));
    expect(publishKey(SECRET, { app: 'live', name: 'a' })).not.toBe(publishKey('other', { app: 'live', name: 'a' }));
  });
  it('verifies only the right key (upper-case hex accepted)', () => {
    const key = { app: 'live', name: 'talk' };
    const k = publishKey(SECRET, key);
    expect(isValidPublishKey(SECRET, key, k)).toBe(true);
    expect(isValidPublishKey(SECRET, key, k.toUpperCase())).toBe(true);
    expect(isValidPublishKey(SECRET, key, k.slice(0, -1))).toBe(false);
    expect(isValidPublishKey(SECRET, key, undefined)).toBe(false);
    expect(isValidPublishKey(SECRET, { app: 'live', name: 'other' }, k)).toBe(false);
  });
});

describe('ipAllowList (SPEC 2.1 "authentication": limit publishing to chosen source IPs)', () => {
  it('empty list allows everyone', () => {
    expect(ipAllowList([]).allows('203.0.113.9')).toBe(true);
  });
  it('single addresses and IPv4 CIDRs', () => {
    const l = ipAllowList(['127.0.0.1', '10.0.0.0/8', '192.168.1.0/24']);
    expect(l.allows('127.0.0.1')).toBe(true);
    expect(l.allows('127.0.0.2')).toBe(false);
    expect(l.allows('10.200.3.4')).toBe(true);
    expect(l.allows('11.0.0.1')).toBe(false);
    expect(l.allows('192.168.1.255')).toBe(true);
    expect(l.allows('192.168.2.1')).toBe(false);
  });
  it('IPv4-mapped IPv6 peers match IPv4 entries, and mapped entries match IPv4 peers', () => {
    expect(normalizeAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
    const l = ipAllowList(['10.0.0.0/8', '::ffff:192.0.2.0/120']);
    expect(l.allows('::ffff:10.1.2.3')).toBe(true);
    expect(l.allows('::FFFF:11.1.2.3')).toBe(false);
    expect(l.allows('192.0.2.77')).toBe(true);
    expect(l.allows('192.0.3.1')).toBe(false);
  });
  it('IPv6 CIDRs', () => {
    const l = ipAllowList(['2001:db8::/32', '::1']);
    expect(l.allows('2001:db8:1::5')).toBe(true);
    expect(l.allows('2001:db9::1')).toBe(false);
    expect(l.allows('::1')).toBe(true);
    expect(l.allows('not-an-ip')).toBe(false);
  });
  it.each(['10.0.0.0/33', 'banana', '10.0.0.1/8/2', '2001:db8::/129', '10.0.0.0/x'])(
    'rejects the bad entry %s with a clear error',
    (entry) => {
      expect(() => ipAllowList([entry])).toThrow(/invalid publish allow-list entry/);
    },
  );
});

describe('decidePublish', () => {
  const key = { app: 'live', name: 'talk' };
  it('no secret and no list: allowed', () => {
    expect(decidePublish({ allow: ipAllowList([]) }, key, '198.51.100.1', undefined)).toEqual({ ok: true, value: undefined });
  });
  it('secret: key required and checked', () => {
    const policy = { secret: SECRET, allow: ipAllowList([]) };
    expect(decidePublish(policy, key, '127.0.0.1', undefined)).toEqual({ ok: false, reason: 'publish key missing' });
    expect(decidePublish(policy, key, '127.0.0.1', 'deadbeef')).toEqual({ ok: false, reason: 'publish key invalid' });
    expect(decidePublish(policy, key, '127.0.0.1', publishKey(SECRET, key))).toEqual({ ok: true, value: undefined });
  });
  it('the IP check comes first, even with a valid key', () => {
    const policy = { secret: SECRET, allow: ipAllowList(['10.0.0.0/8']) };
    const d = decidePublish(policy, key, '::ffff:127.0.0.1', publishKey(SECRET, key));
    expect(d).toEqual({ ok: false, reason: 'address 127.0.0.1 is not in the publish allow-list' });
    expect(decidePublish(policy, key, '10.0.0.5', publishKey(SECRET, key))).toEqual({ ok: true, value: undefined });
  });
});
