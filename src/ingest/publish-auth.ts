// Pure: may this publisher publish? A per-stream key and an IP allow-list (SPEC 2.1
// "authentication": AMS only limits port 1935 to chosen source IPs; PROJECT adds the key).
import { BlockList, isIP } from 'node:net';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { streamId, type StreamKey } from '../streams/stream-key.js';

/** hex HMAC-SHA256(secret, `${app}/${name}`): the key an operator hands to an encoder for one stream. */
export function publishKey(secret: string, key: StreamKey): string {
  return createHmac('sha256', secret).update(streamId(key)).digest('hex');
}

/** Constant-time check of a presented `?key=`. */
export function isValidPublishKey(secret: string, key: StreamKey, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const want = Buffer.from(publishKey(secret, key), 'utf8');
  const got = Buffer.from(presented.toLowerCase(), 'utf8');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** `::ffff:10.0.0.1` → `10.0.0.1`: a dual-stack socket reports IPv4 peers in this form. */
export function normalizeIp(ip: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  return m ? m[1]! : ip;
}

export interface IpAllowList {
  /** True when the list is empty (any address) or the address matches an entry. */
  allows(ip: string): boolean;
}

/**
 * Builds an allow-list from addresses and CIDRs (`10.0.0.0/8`, `2001:db8::/32`, `127.0.0.1`,
 * `::ffff:192.0.2.1`). Throws one clear Error naming the first bad entry.
 */
export function ipAllowList(entries: readonly string[]): IpAllowList {
  if (entries.length === 0) return { allows: () => true };
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    const [addrPart, prefixPart, ...rest] = entry.split('/');
    const addr = normalizeIp(addrPart ?? '');
    const family = isIP(addr);
    if (family === 0 || rest.length > 0) throw new Error(`invalid publish allow-list entry "${raw}"`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefixPart === undefined) {
      list.addAddress(addr, type);
      continue;
    }
    if (!/^\d{1,3}$/.test(prefixPart)) throw new Error(`invalid publish allow-list entry "${raw}"`);
    let prefix = Number(prefixPart);
    // `::ffff:10.0.0.0/104` is an IPv4 /8 written in IPv6 form.
    if (family === 4 && addr !== addrPart) prefix -= 96;
    if (prefix < 0 || prefix > (family === 4 ? 32 : 128)) throw new Error(`invalid publish allow-list entry "${raw}"`);
    list.addSubnet(addr, prefix, type);
  }
  return {
    allows(ip: string): boolean {
      const addr = normalizeIp(ip);
      const family = isIP(addr);
      if (family === 0) return false;
      return list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

export interface PublishAuthPolicy {
  /** When set, a valid `?key=` is required. */
  secret?: string;
  allow: IpAllowList;
}

export type PublishDecision = { allowed: true } | { allowed: false; reason: string };

/** The IP check comes first: an address outside the list learns nothing about keys. */
export function decidePublish(policy: PublishAuthPolicy, key: StreamKey, ip: string, presentedKey: string | undefined): PublishDecision {
  if (!policy.allow.allows(ip)) return { allowed: false, reason: `address ${normalizeIp(ip)} is not in the publish allow-list` };
  if (policy.secret !== undefined) {
    if (presentedKey === undefined) return { allowed: false, reason: 'publish key missing' };
    if (!isValidPublishKey(policy.secret, key, presentedKey)) return { allowed: false, reason: 'publish key invalid' };
  }
  return { allowed: true };
}
