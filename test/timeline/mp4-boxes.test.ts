// The fMP4 splitter on real ffmpeg output (the packager's exact mp4 muxer flags, to a pipe), fed
// in chunks of every size, plus malformed input.
import { beforeAll, describe, expect, it } from 'vitest';
import { Fmp4Splitter, readBoxHeader, type SplitEvent } from '../../src/timeline/mp4-boxes.js';
import { ffmpegCmafBytes } from './ffmpeg-cmaf.js';

function split(bytes: Buffer, chunk: number): SplitEvent[] {
  const s = new Fmp4Splitter();
  const out: SplitEvent[] = [];
  for (let i = 0; i < bytes.length; i += chunk) out.push(...s.push(bytes.subarray(i, i + chunk)));
  return out;
}

let video: Buffer;
let audio: Buffer;
beforeAll(() => {
  video = ffmpegCmafBytes('video', { seconds: 3 });
  audio = ffmpegCmafBytes('audio', { seconds: 3 });
});

describe('Fmp4Splitter on ffmpeg CMAF output', () => {
  it.each([1, 7, 188, 4096, 1 << 20])('video in %i-byte chunks: init, then fragments that tile the track', (chunk) => {
    const events = split(video, chunk);
    const init = events.find((e) => e.type === 'init');
    expect(init?.type === 'init' && init.info).toMatchObject({
      kind: 'video',
      timescale: expect.any(Number),
      codec: expect.stringMatching(/^avc1\.[0-9a-f]{6}$/),
      width: 160,
      height: 90,
    });
    const frags = events.flatMap((e) => (e.type === 'fragment' ? [e] : []));
    const ts = init?.type === 'init' ? init.info.timescale : 1;
    // Contiguous: each fragment starts where the previous ended; 3 s in all.
    for (let i = 1; i < frags.length; i++) expect(frags[i].info.baseTime).toBe(frags[i - 1].info.baseTime + frags[i - 1].info.duration);
    const total = frags.reduce((n, f) => n + f.info.duration, 0) / ts;
    expect(total).toBeCloseTo(3, 1);
    // Every fragment within the part target; key frames (1 s GOP) start fragments 0, 1 s, 2 s.
    for (const f of frags) expect(f.info.duration / ts).toBeLessThanOrEqual(0.5);
    const keyStarts = frags.filter((f) => f.info.startsWithKey).map((f) => Math.round((f.info.baseTime / ts) * 10) / 10);
    expect(keyStarts).toEqual([0, 1, 2]);
    // The bytes streamed while a fragment arrives are exactly the fragment's bytes.
    let growing: Buffer[] = [];
    for (const e of events) {
      if (e.type === 'fragment-bytes') growing.push(e.chunk);
      if (e.type === 'fragment') {
        expect(Buffer.concat(growing).equals(e.bytes)).toBe(true);
        growing = [];
      }
    }
    expect(events.some((e) => e.type === 'error')).toBe(false);
  });

  it('audio: every fragment is independent and within the part target', () => {
    const events = split(audio, 1000);
    const init = events.find((e) => e.type === 'init');
    expect(init?.type === 'init' && init.info).toMatchObject({
      kind: 'audio',
      codec: 'mp4a.40.2',
      sampleRate: 48000,
      channels: 2,
      timescale: 48000,
    });
    const frags = events.flatMap((e) => (e.type === 'fragment' ? [e.info] : []));
    expect(frags.length).toBeGreaterThanOrEqual(6);
    expect(frags.every((f) => f.startsWithKey && f.duration / 48000 <= 0.5)).toBe(true);
  });

  it.each([
    ['a box smaller than its header', Buffer.from([0, 0, 0, 4, 0x66, 0x74, 0x79, 0x70])],
    ['a size-0 (to end of file) box', Buffer.from([0, 0, 0, 0, 0x6d, 0x64, 0x61, 0x74])],
    ['a non-printable box type', Buffer.from([0, 0, 0, 16, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0])],
    ['a box larger than the limit', Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x6d, 0x64, 0x61, 0x74])],
  ])('reports %s as an error and ignores what follows', (_name, bytes) => {
    const s = new Fmp4Splitter();
    const events = s.push(bytes);
    expect(events.at(-1)?.type).toBe('error');
    expect(s.push(video)).toEqual([]);
  });

  it('an mdat before any moof is an error', () => {
    const s = new Fmp4Splitter();
    const initEnd = (() => {
      let off = 0;
      for (;;) {
        const h = readBoxHeader(video, off);
        if (!h.ok || !h.value) throw new Error('no moov');
        off += h.value.size;
        if (h.value.type === 'moov') return off;
      }
    })();
    const mdat = Buffer.from([0, 0, 0, 9, 0x6d, 0x64, 0x61, 0x74, 0]);
    const events = s.push(Buffer.concat([video.subarray(0, initEnd), mdat]));
    expect(events.map((e) => e.type)).toEqual(['init', 'fragment-bytes', 'error']);
  });
});
