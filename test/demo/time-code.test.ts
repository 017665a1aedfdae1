// The demo's wall-clock time code: the ffmpeg filters that write it (src/demo/time-code.ts) and
// the page's reader (player/time-code.js) agree on the layout, the reader refuses damaged or
// missing strips, and — with real ffmpeg and libx264 — a stamped, encoded and decoded frame
// reads back the wall clock at which ffmpeg made it.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TIME_CODE_BLOCKS as W_BLOCKS, timeCodeFilters, timeCodeGeometry } from '../../src/demo/time-code.js';
import { testPatternArgs } from '../../src/demo/test-pattern.js';
import {
  TIME_CODE_BLOCKS as R_BLOCKS,
  decodeTimeCode,
  latencySummary,
  timeCodeGeometry as readerGeometry,
  unwrapTimeCode,
} from '../../player/time-code.js';

/** An RGBA strip drawn the way the filters draw it: markers, 32 bits of `value`, parity. */
function drawStrip(
  value: number,
  width: number,
  height: number,
  opts: { flip?: number; level?: [number, number] } = {},
): Uint8ClampedArray {
  const g = timeCodeGeometry(width, height);
  const [lo, hi] = opts.level ?? [16, 235];
  const bits: number[] = [1, 0];
  for (let i = 31; i >= 0; i--) bits.push(Math.floor(value / 2 ** i) % 2);
  for (let k = 0; k < 4; k++) bits.push(bits.slice(2 + 8 * k, 10 + 8 * k).reduce((a, b) => a + b, 0) % 2);
  bits.push(0, 1);
  if (opts.flip !== undefined) bits[opts.flip] = 1 - bits[opts.flip]!;
  const data = new Uint8ClampedArray(width * g.blockHeight * 4);
  for (let y = 0; y < g.blockHeight; y++) {
    for (let x = 0; x < width; x++) {
      const b = Math.floor(x / g.blockWidth);
      const v = b < bits.length && bits[b] ? hi : lo;
      data.set([v, v, v, 255], (y * width + x) * 4);
    }
  }
  return data;
}

describe('time code layout', () => {
  it.each([
    [1280, 720, 32, 16],
    [1920, 1080, 48, 24],
    [640, 360, 16, 8],
    [854, 480, 20, 10],
    [320, 180, 8, 8],
  ])('%ix%i: writer and reader use blocks of %i×%i', (w, h, bw, bh) => {
    expect(timeCodeGeometry(w, h)).toEqual({ blockWidth: bw, blockHeight: bh });
    expect(readerGeometry(w, h)).toEqual({ blockWidth: bw, blockHeight: bh });
    expect(W_BLOCKS).toBe(R_BLOCKS);
  });

  it('refuses a picture too narrow for 8 px blocks', () => {
    expect(() => timeCodeGeometry(300, 200)).toThrow(/too narrow/);
    expect(readerGeometry(300, 200)).toBeNull();
  });

  it('stamps with the real-time clock and hands the encoder constant 1/fps timestamps again', () => {
    const f = timeCodeFilters(1280, 720, 30);
    expect(f.slice(0, 2)).toEqual(['settb=AVTB', 'setpts=RTCTIME']);
    expect(f.slice(-2)).toEqual(['setpts=N/(30*TB)', 'settb=1/30']);
    // Full-strip black, two white markers, 32 data bits and 4 parity blocks each switched by the clock.
    expect(f.filter((x) => x.startsWith('drawbox'))).toHaveLength(1 + 2 + 32 + 4);
    expect(f.filter((x) => x.includes(':enable='))).toHaveLength(36);
  });

  it('goes before the clock text in the test pattern, so drawtext sees ordinary stream time', () => {
    const args = testPatternArgs({
      rtmpUrl: 'rtmp://127.0.0.1/live/x',
      width: 1280,
      height: 720,
      fps: 30,
      timeCode: true,
      fontFile: '/f.ttf',
    });
    const vf = args[args.indexOf('-vf') + 1]!;
    expect(vf.startsWith('settb=AVTB,setpts=RTCTIME,')).toBe(true);
    expect(vf.indexOf('drawtext')).toBeGreaterThan(vf.lastIndexOf('settb=1/30'));
    expect(testPatternArgs({ rtmpUrl: 'rtmp://127.0.0.1/live/x', width: 1280, height: 720, fps: 30 })).not.toContain('-vf');
  });
});

describe('decodeTimeCode', () => {
  it.each([0, 1, 0x80000000, 0xffffffff, 0x12345678, 1796121302751 % 2 ** 32])('reads back %i', (v) => {
    expect(decodeTimeCode(drawStrip(v, 1280, 720), 1280, 1280, 720)).toBe(v);
    expect(decodeTimeCode(drawStrip(v, 640, 360), 640, 640, 360)).toBe(v);
  });

  it.each([
    ['a flipped data bit (parity)', { flip: 7 }],
    ['a flipped parity block', { flip: 35 }],
    ['a flipped start marker', { flip: 0 }],
    ['a flipped end marker', { flip: 38 }],
    ['a grey strip (no contrast)', { level: [120, 140] as [number, number] }],
  ])('refuses %s', (_what, opts) => {
    expect(decodeTimeCode(drawStrip(0x12345678, 1280, 720, opts), 1280, 1280, 720)).toBeNull();
  });

  it('refuses an unstamped picture (all black) and a strip read at the wrong size', () => {
    expect(decodeTimeCode(new Uint8ClampedArray(1280 * 16 * 4), 1280, 1280, 720)).toBeNull();
    expect(decodeTimeCode(drawStrip(0x12345678, 1280, 720), 1280, 1920, 1080)).toBeNull();
  });
});

describe('unwrapTimeCode and latencySummary', () => {
  const now = 1796121302751;
  it.each([
    ['the same ms', now % 2 ** 32, now],
    ['1.5 s ago', (now - 1500) % 2 ** 32, now - 1500],
    ['slightly ahead (clock noise)', (now + 20) % 2 ** 32, now + 20],
    ['across the 2^32 wrap', (2 ** 32 - 100) % 2 ** 32, 2 ** 32 * 3 - 100],
  ])('%s', (_what, code, expected) => {
    const at = _what === 'across the 2^32 wrap' ? 2 ** 32 * 3 + 400 : now;
    expect(unwrapTimeCode(code, at)).toBe(expected);
  });

  it('median and nearest-rank p95', () => {
    expect(latencySummary([])).toEqual({ count: 0, median: null, p95: null });
    expect(latencySummary([3, 1, 2])).toEqual({ count: 3, median: 2, p95: 3 });
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(latencySummary(hundred)).toEqual({ count: 100, median: 50, p95: 95 });
  });
});

/** Runs ffmpeg and resolves with its stdout; rejects with its stderr on failure. */
function ffmpeg(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.once('error', reject);
    p.once('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg exited ${code}: ${err.slice(-800)}`))));
  });
}

describe('with real ffmpeg: stamp at 720p30, encode with libx264 at the demo bitrate, decode', () => {
  it('every frame reads back, in order, paced by -re, and within the wall-clock window of the run', async () => {
    const t0 = Date.now();
    const vf = timeCodeFilters(1280, 720, 30).join(',');
    // Encode to H.264 (as the demo does) and decode the top 16 rows back to RGBA.
    const flv = await ffmpeg([
      '-hide_banner',
      '-loglevel',
      'error',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=30',
      '-t',
      '2',
      '-vf',
      vf,
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-tune',
      'zerolatency',
      '-b:v',
      '1700k',
      '-pix_fmt',
      'yuv420p',
      '-f',
      'flv',
      'pipe:1',
    ]);
    const t1 = Date.now();
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const p = spawn('ffmpeg', [
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'flv',
        '-i',
        'pipe:0',
        '-vf',
        'crop=1280:16:0:0',
        '-pix_fmt',
        'rgba',
        '-f',
        'rawvideo',
        'pipe:1',
      ]);
      const out: Buffer[] = [];
      p.stdout.on('data', (d: Buffer) => out.push(d));
      p.once('error', reject);
      p.once('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`decode exited ${code}`))));
      p.stdin.end(flv);
    });
    const frameBytes = 1280 * 16 * 4;
    expect(raw.length % frameBytes).toBe(0);
    const codes: number[] = [];
    for (let off = 0; off < raw.length; off += frameBytes) {
      const code = decodeTimeCode(raw.subarray(off, off + frameBytes), 1280, 1280, 720);
      expect(code, `frame ${off / frameBytes}`).not.toBeNull();
      codes.push(unwrapTimeCode(code!, t1));
    }
    expect(codes.length).toBeGreaterThanOrEqual(55);
    expect(codes[0]!).toBeGreaterThanOrEqual(t0);
    expect(codes.at(-1)!).toBeLessThanOrEqual(t1);
    // The stamps follow the wall clock: never backwards, and -re paces lavfi at 30 fps, so frames are
    // at least ~33 ms apart on average (more when a busy machine makes ffmpeg fall behind real time).
    const steps = codes.slice(1).map((c, i) => c - codes[i]!);
    expect(steps.every((s) => s >= 0)).toBe(true);
    const mean = (codes.at(-1)! - codes[0]!) / (codes.length - 1);
    expect(mean).toBeGreaterThan(25);
  });
});
