// Unit tests of the demo publisher's pure parts: ffmpeg arguments and restart back-off.
import { describe, expect, it } from 'vitest';
import { clockFilter, nextBackoffMs, testPatternArgs } from '../../src/demo/test-pattern.js';

const base = { rtmpUrl: 'rtmp://127.0.0.1:1935/live/demo', width: 1280, height: 720, fps: 30 };

function valueOf(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i === -1 ? undefined : args[i + 1];
}

describe('testPatternArgs', () => {
  it('reads two lavfi sources in real time (-re before each input)', () => {
    const args = testPatternArgs(base);
    const inputs = args.flatMap((a, i) => (a === '-i' ? [i] : []));
    expect(inputs).toHaveLength(2);
    for (const i of inputs) {
      expect(args.slice(i - 3, i)).toEqual(['-re', '-f', 'lavfi']);
    }
    expect(args[inputs[0]! + 1]).toBe('testsrc2=size=1280x720:rate=30');
    expect(args[inputs[1]! + 1]).toMatch(/^sine=frequency=\d+:sample_rate=48000/);
  });

  it('encodes H.264 veryfast/zerolatency with a 2 s GOP and no scene-cut key frames (SPEC 2.3)', () => {
    const args = testPatternArgs(base);
    expect(valueOf(args, '-c:v')).toBe('libx264');
    expect(valueOf(args, '-preset')).toBe('veryfast');
    expect(valueOf(args, '-tune')).toBe('zerolatency');
    expect(valueOf(args, '-pix_fmt')).toBe('yuv420p');
    expect(valueOf(args, '-g')).toBe('60');
    expect(valueOf(args, '-keyint_min')).toBe('60');
    expect(valueOf(args, '-sc_threshold')).toBe('0');
    expect(valueOf(testPatternArgs({ ...base, fps: 25 }), '-g')).toBe('50');
  });

  it('encodes AAC-LC 48 kHz stereo and publishes FLV to the RTMP URL as the last argument', () => {
    const args = testPatternArgs(base);
    expect(valueOf(args, '-c:a')).toBe('aac');
    expect(valueOf(args, '-ar')).toBe('48000');
    expect(valueOf(args, '-ac')).toBe('2');
    expect(args.slice(-3)).toEqual(['-f', 'flv', base.rtmpUrl]);
  });

  it('draws the clock only when a font file is given', () => {
    expect(testPatternArgs(base)).not.toContain('-vf');
    const args = testPatternArgs({ ...base, fontFile: '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf' });
    const vf = valueOf(args, '-vf')!;
    expect(vf).toMatch(/^drawtext=fontfile='\/usr\/share\/fonts\/truetype\/dejavu\/DejaVuSansMono\.ttf':/);
    expect(vf).toContain('%{localtime\\:%X}');
  });

  it('escapes a font path with filtergraph specials', () => {
    expect(clockFilter("/fonts/a:b'c.ttf", 720)).toContain("fontfile='/fonts/a\\:b'\\''c.ttf'");
  });

  it('rejects a non-RTMP URL and odd or non-positive sizes with a clear error', () => {
    expect(() => testPatternArgs({ ...base, rtmpUrl: 'http://x/live/demo' })).toThrow(/not an RTMP URL/);
    expect(() => testPatternArgs({ ...base, width: 641 })).toThrow(/even/);
    expect(() => testPatternArgs({ ...base, fps: 0 })).toThrow(/fps must be a positive integer/);
  });
});

describe('nextBackoffMs', () => {
  it('doubles from 0.5 s up to 10 s and resets after a stable run', () => {
    let d = 0;
    const seq: number[] = [];
    for (let i = 0; i < 7; i++) seq.push((d = nextBackoffMs(d, 100)));
    expect(seq).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(nextBackoffMs(8000, 15_000)).toBe(500);
  });
});
