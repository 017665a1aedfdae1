// Pure: may this publisher publish? A per-stream key and an IP allow-list (SPEC 2.1
// "authentication": AMS only limits port 1935 to chosen source IPs; PROJECT adds the key).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { compileCidr } from '../net/cidr.js';
import { normalizeAddress } from '../net/address.js';
import { streamId, type StreamKey } from '../streams/stream-key.js';
import { fail, ok, type Result } from '../result.js';

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
  const matchers = entries.map((raw) => {
    try {
      return compileCidr(raw);
    } catch (err) {
      throw new Error(`invalid publish allow-list entry "${raw}": ${(err as Error).message}`);
    }
  });
  return { allows: (ip) => matchers.some((m) => m(ip)) };
}

export interface PublishAuthPolicy {
  /** When set, a valid `?key=` is required. */
  secret?: string;
  allow: IpAllowList;
}

export type PublishDecision = Result;

/** The IP check comes first: an address outside the list learns nothing about keys. */
export function decidePublish(policy: PublishAuthPolicy, key: StreamKey, ip: string, presentedKey: string | undefined): PublishDecision {
  if (!policy.allow.allows(ip)) return fail(`address ${normalizeAddress(ip) || JSON.stringify(ip)} is not in the publish allow-list`);
  if (policy.secret !== undefined) {
    if (presentedKey === undefined) return fail('publish key missing');
    if (!isValidPublishKey(policy.secret, key, presentedKey)) return fail('publish key invalid');
  }
  return ok();
}
