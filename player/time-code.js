// Reads the demo encoder's wall-clock time code back from a video frame (the writer is
// src/demo/time-code.ts, which documents the layout). Pure: no DOM; the page hands it the RGBA
// pixels of the strip it drew from the <video> onto a canvas.

export const TIME_CODE_BLOCKS = 40;
export const TIME_CODE_DATA_BITS = 32;
const TWO_32 = 4294967296;

/** Block size for a picture; must equal timeCodeGeometry in src/demo/time-code.ts. */
export function timeCodeGeometry(width, height) {
  const blockWidth = Math.floor(width / TIME_CODE_BLOCKS / 2) * 2;
  const blockHeight = Math.max(8, Math.floor(height / 45 / 2) * 2);
  return blockWidth < 8 ? null : { blockWidth, blockHeight };
}

/**
 * Decodes the strip from RGBA pixels (`data`, row-major, `stride` pixels per row, at least
 * blockHeight rows from the top of the picture). Each block is read as the mean luma of its
 * middle half, so compression ringing at the block edges does not matter.
 * Returns the 32-bit value (epoch ms mod 2^32) or null when the strip is absent or damaged.
 */
export function decodeTimeCode(data, stride, videoWidth, videoHeight) {
  const g = timeCodeGeometry(videoWidth, videoHeight);
  if (!g) return null;
  const { blockWidth: w, blockHeight: h } = g;
  // The pixels handed in must cover the whole strip, else this is a mismatch of sizes.
  if (stride < w * TIME_CODE_BLOCKS || data.length < stride * h * 4) return null;
  const luma = [];
  for (let b = 0; b < TIME_CODE_BLOCKS; b++) {
    let sum = 0;
    let n = 0;
    for (let y = Math.floor(h / 4); y < Math.ceil((3 * h) / 4); y++) {
      for (let x = b * w + Math.floor(w / 4); x < b * w + Math.ceil((3 * w) / 4); x++) {
        const i = (y * stride + x) * 4;
        sum += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
        n++;
      }
    }
    luma.push(n ? sum / n : 0);
  }
  // The markers set the threshold and must be far apart, else this is not a time-coded frame.
  const white = (luma[0] + luma[TIME_CODE_BLOCKS - 1]) / 2;
  const black = (luma[1] + luma[TIME_CODE_BLOCKS - 2]) / 2;
  if (!(white - black >= 100) || Math.abs(luma[0] - luma[TIME_CODE_BLOCKS - 1]) > 60 || Math.abs(luma[1] - luma[TIME_CODE_BLOCKS - 2]) > 60)
    return null;
  const mid = (white + black) / 2;
  const bits = luma.map((l) => (l > mid ? 1 : 0));
  // A bit too close to the threshold is a blurred block: refuse rather than guess.
  const margin = (white - black) / 5;
  if (luma.some((l) => Math.abs(l - mid) < margin)) return null;
  let value = 0;
  for (let i = 0; i < TIME_CODE_DATA_BITS; i++) value = value * 2 + bits[2 + i];
  for (let k = 0; k < 4; k++) {
    let ones = bits[34 + k];
    for (let j = 0; j < 8; j++) ones += bits[2 + 8 * k + j];
    if (ones % 2 !== 0) return null;
  }
  return value;
}

/**
 * The full epoch milliseconds of a 32-bit time code, taken as the value nearest to `nowMs`
 * (the code wraps every 49.7 days; encoder and page share a clock, so they are never far apart).
 */
export function unwrapTimeCode(code, nowMs) {
  const low = ((nowMs % TWO_32) + TWO_32) % TWO_32;
  let diff = (low - code) % TWO_32;
  if (diff < 0) diff += TWO_32;
  if (diff >= TWO_32 / 2) diff -= TWO_32;
  return nowMs - diff;
}

/** Median and 95th percentile (nearest rank) of a list of numbers; nulls when it is empty. */
export function latencySummary(values) {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return { count: 0, median: null, p95: null };
  const rank = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { count: s.length, median: rank(0.5), p95: rank(0.95) };
}
