// x-edge-request-id / X-Amz-Cf-Id values (HDR-05, LOG-04): opaque, unique, 56 characters of
// base64 like CloudFront's. Random bytes are taken from a pool so a hit costs no syscall, and the
// pool is encoded in one call: 42 bytes are exactly 56 base64 characters (42 is a multiple of 3),
// so each ID is a slice of the pool's text, the same characters as encoding its own 42 bytes.
import { randomFillSync } from 'node:crypto';

const ID_BYTES = 42; // 42 bytes → 56 base64 characters
const ID_CHARS = 56;
const POOL_IDS = 1024;
const pool = Buffer.allocUnsafe(ID_BYTES * POOL_IDS);
let poolText = '';
let next = POOL_IDS;

export function newRequestId(): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    poolText = pool.toString('base64url');
    next = 0;
  }
  const start = next++ * ID_CHARS;
  return poolText.slice(start, start + ID_CHARS);
}
