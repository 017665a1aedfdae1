// x-edge-request-id / X-Amz-Cf-Id values (HDR-05, LOG-04): opaque, unique, 56 characters of
// base64 like CloudFront's. Random bytes are taken from a pool so a hit costs no syscall.
import { randomFillSync } from 'node:crypto';

const ID_BYTES = 42; // 42 bytes → 56 base64 characters
const POOL_IDS = 1024;
const pool = Buffer.allocUnsafe(ID_BYTES * POOL_IDS);
let next = POOL_IDS;

export function newRequestId(): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  const start = next++ * ID_BYTES;
  return pool.toString('base64url', start, start + ID_BYTES);
}
