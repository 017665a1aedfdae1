// The demo encoder's machine-readable wall-clock time code: a strip of black/white blocks along
// the top of every frame that encodes the epoch milliseconds at which ffmpeg generated the frame.
// The player page reads the strip back from a canvas (player/time-code.js) and compares it with
// its own clock, which gives encoder-to-screen latency on one machine without trusting any
// player's or playlist's notion of time.
//
// Layout, left to right, TIME_CODE_BLOCKS blocks of equal width in one row at y = 0:
//   [white][black] 32 data bits (ms mod 2^32, most significant first) 4 parity blocks [black][white]
// A parity block is white when its byte (most significant byte first) has an odd number of ones,
// so every byte plus its parity block holds an even count. The markers let a reader reject a
// frame whose strip was scaled, cropped or never stamped; the parity catches blurred bits.
//
// The wall clock comes from ffmpeg itself: `setpts=RTCTIME` replaces each frame's timestamp with
// the real-time clock (microseconds) at the moment the frame enters the filter graph, which with
// `-re` is the moment lavfi produces it, i.e. the frame's capture time. The drawbox filters read
// it as `t` in their `enable` expressions; the timestamps are then put back on a constant frame
// rate so the encoder and the packager see ordinary 1/fps timing.

/** Blocks in the strip: 2 start markers + 32 data bits + 4 parity + 2 end markers. */
export const TIME_CODE_BLOCKS = 40;
export const TIME_CODE_DATA_BITS = 32;

export interface TimeCodeGeometry {
  /** Width of one block in pixels (even, so chroma subsampling does not mix neighbours). */
  blockWidth: number;
  /** Height of the strip in pixels. */
  blockHeight: number;
}

/**
 * Block size for a picture: the strip spans (almost) the whole width; blocks are at least 8 px
 * so that H.264 at demo bitrates keeps them flat. Must equal `timeCodeGeometry` in
 * player/time-code.js (a unit test compares them).
 */
export function timeCodeGeometry(width: number, height: number): TimeCodeGeometry {
  const blockWidth = Math.floor(width / TIME_CODE_BLOCKS / 2) * 2;
  const blockHeight = Math.max(8, Math.floor(height / 45 / 2) * 2);
  if (blockWidth < 8) throw new Error(`time code: a ${width}x${height} picture is too narrow for ${TIME_CODE_BLOCKS} blocks of 8 px`);
  return { blockWidth, blockHeight };
}

/** ffmpeg expression: bit `b` (0 = least significant) of the frame's wall-clock ms mod 2^32. */
function bitExpr(b: number): string {
  return `mod(floor(mod(floor(t*1000),4294967296)/${2 ** b}),2)`;
}

/**
 * The filters (in order, to be joined with `,` into one -vf chain) that stamp the time code.
 * They end with the frame timestamps back at N/fps in a 1/fps time base.
 */
export function timeCodeFilters(width: number, height: number, fps: number): string[] {
  const { blockWidth: w, blockHeight: h } = timeCodeGeometry(width, height);
  const box = (block: number, enable?: string): string =>
    `drawbox=x=${block * w}:y=0:w=${w}:h=${h}:color=white:t=fill${enable ? `:enable='${enable}'` : ''}`;
  const filters = [
    // Microsecond time base, so the wall clock keeps full precision as the timestamp.
    'settb=AVTB',
    'setpts=RTCTIME',
    `drawbox=x=0:y=0:w=${w * TIME_CODE_BLOCKS}:h=${h}:color=black:t=fill`,
    box(0),
  ];
  for (let i = 0; i < TIME_CODE_DATA_BITS; i++) filters.push(box(2 + i, bitExpr(TIME_CODE_DATA_BITS - 1 - i)));
  for (let k = 0; k < 4; k++) {
    const byte = 3 - k;
    const ones = Array.from({ length: 8 }, (_, j) => bitExpr(8 * byte + j)).join('+');
    filters.push(box(34 + k, `mod(${ones},2)`));
  }
  filters.push(box(TIME_CODE_BLOCKS - 1));
  filters.push(`setpts=N/(${fps}*TB)`, `settb=1/${fps}`);
  return filters;
}
