// Pure: CIDR matching over one 128-bit address space, where an IPv4 address is its IPv4-mapped
// IPv6 value. So `10.0.0.0/8` and `::ffff:10.0.0.0/104` are the same block, `::/0` matches every
// address, and an IPv4 peer seen through a dual-stack socket matches its IPv4 entries.
import { addressBits, IPV4_MAPPED, normalizeAddress } from './address.js';
import { isIPv4 } from 'node:net';

/**
 * A matcher for an IPv4 or IPv6 CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a bare address (one host).
 * Host bits below the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`). Throws on a malformed CIDR.
 * The matcher takes any address spelling `normalizeAddress` accepts; a non-address never matches.
 */
export function compileCidr(cidr: string): (address: string) => boolean {
  const text = cidr.trim();
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  // A CIDR base is a plain address: no port, no brackets, no zone.
  const canonical = /[[\]%]/.test(addrText) || /^[\d.]+:\d+$/.test(addrText) ? '' : normalizeAddress(addrText);
  const base = addressBits(canonical);
  if (base === undefined) throw new Error(`invalid CIDR "${cidr}": not an IP address`);
  // An IPv4 base written as IPv4 counts its prefix in IPv4 bits.
  const v4Written = isIPv4(addrText);
  const maxPrefix = v4Written ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) throw new Error(`invalid CIDR "${cidr}": bad prefix length`);
  const written = prefixText === undefined ? maxPrefix : Number(prefixText);
  if (written > maxPrefix) throw new Error(`invalid CIDR "${cidr}": prefix length over ${maxPrefix}`);
  const prefix = BigInt(v4Written ? written + 96 : written);
  const mask = prefix === 0n ? 0n : ((1n << prefix) - 1n) << (128n - prefix);
  const network = base & mask;
  return (address: string) => {
    const bits = addressBits(normalizeAddress(address));
    return bits !== undefined && (bits & mask) === network;
  };
}

/** True when `address` (any spelling) is an IPv4 address or an IPv4-mapped IPv6 one. */
export function isIPv4Address(address: string): boolean {
  const bits = addressBits(normalizeAddress(address));
  return bits !== undefined && bits >> 32n === IPV4_MAPPED >> 32n;
}
