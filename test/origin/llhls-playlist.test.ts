// LL-HLS playlists generated from timelines built by table (FIELD-NOTES §8 "LL-HLS" rules).
import { describe, expect, it } from 'vitest';
import { canSkipUntil, masterPlaylist, mediaPlaylist, partHoldBack, partTarget, targetDuration } from '../../src/origin/llhls-playlist.js';
import { AUDIO_INIT, feed, OPTS, pattern, VIDEO_INIT } from '../timeline/fixture.js';

function lines(text: string, prefix: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(prefix));
}

describe('media playlist', () => {
  const f = feed();
  f.add(pattern('Kppp Kppp Kppp Kp'));
  const text = mediaPlaylist(f.track, { window: { windowSeconds: 12 } });

  it('carries the LL-HLS header tags', () => {
    expect(text.startsWith('#EXTM3U\n#EXT-X-VERSION:9\n')).toBe(true);
    expect(text).toContain('#EXT-X-TARGETDURATION:2\n');
    expect(text).toContain('#EXT-X-PART-INF:PART-TARGET=0.500\n');
    expect(text).toContain('#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.500,CAN-SKIP-UNTIL=12.0\n');
    expect(text).toContain('#EXT-X-MEDIA-SEQUENCE:0\n');
    expect(text).toContain('#EXT-X-MAP:URI="init_sfm4s_video_0.mp4"\n');
  });

  it('lists complete segments with EXTINF and PDT, the open one as parts only, and a preload hint', () => {
    expect(lines(text, '#EXTINF')).toEqual(['#EXTINF:2.00000,', '#EXTINF:2.00000,', '#EXTINF:2.00000,']);
    expect(text.split('\n').filter((l) => l.startsWith('seg_'))).toEqual([
      'seg_sfm4s_video_0.m4s',
      'seg_sfm4s_video_1.m4s',
      'seg_sfm4s_video_2.m4s',
    ]);
    expect(lines(text, '#EXT-X-PROGRAM-DATE-TIME')).toEqual([
      '#EXT-X-PROGRAM-DATE-TIME:2026-12-01T10:00:00.000Z',
      '#EXT-X-PROGRAM-DATE-TIME:2026-12-01T10:00:02.000Z',
      '#EXT-X-PROGRAM-DATE-TIME:2026-12-01T10:00:04.000Z',
      '#EXT-X-PROGRAM-DATE-TIME:2026-12-01T10:00:06.000Z',
    ]);
    expect(text.trimEnd().split('\n').at(-1)).toBe('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part_sfm4s_video_14.m4s"');
    expect(text).not.toContain('#EXT-X-ENDLIST');
  });

  it('INDEPENDENT=YES exactly on parts that start with a key frame; every part within PART-TARGET', () => {
    const parts = lines(text, '#EXT-X-PART:');
    for (const line of parts) {
      const seq = Number(/part_sfm4s_video_(\d+)/.exec(line)![1]);
      expect(line.includes('INDEPENDENT=YES'), line).toBe(f.track.part(seq)!.independent);
      expect(Number(/DURATION=([\d.]+)/.exec(line)![1])).toBeLessThanOrEqual(0.5);
    }
  });

  it('lists parts only for segments within three target durations of the live edge', () => {
    const listed = lines(text, '#EXT-X-PART:').map((l) => Number(/_(\d+)\.m4s/.exec(l)![1]));
    // Edge at 7 s: segment 0 ends 5 s before it (< 3 × 2 s), so its parts are still listed.
    expect(listed[0]).toBe(0);
    const g = feed();
    g.add(pattern('Kppp Kppp Kppp Kppp Kp'));
    const older = lines(mediaPlaylist(g.track, { window: { windowSeconds: 12 } }), '#EXT-X-PART:').map((l) =>
      Number(/_(\d+)\.m4s/.exec(l)![1]),
    );
    // Edge at 9 s: segment 0 ends 7 s before it (> 3 × 2 s), so its parts are gone.
    expect(older[0]).toBe(4);
  });

  it('slides the window and counts discontinuities before it', () => {
    const g = feed();
    g.add(pattern('Kppp Kppp'));
    g.restart();
    g.add(pattern('Kppp Kppp Kppp Kp'));
    const all = mediaPlaylist(g.track, { window: { windowSeconds: 12 } });
    expect(all).toContain('#EXT-X-DISCONTINUITY-SEQUENCE:0\n');
    expect(lines(all, '#EXT-X-DISCONTINUITY').filter((l) => l === '#EXT-X-DISCONTINUITY')).toHaveLength(1);
    expect(lines(all, '#EXT-X-MAP')).toEqual(['#EXT-X-MAP:URI="init_sfm4s_video_0.mp4"', '#EXT-X-MAP:URI="init_sfm4s_video_1.mp4"']);
    // Only the newest 3 complete segments: the discontinuity is now before the first listed one.
    const tail = mediaPlaylist(g.track, { window: { windowSeconds: 6 } });
    expect(tail).toContain('#EXT-X-MEDIA-SEQUENCE:2\n');
    expect(tail).toContain('#EXT-X-DISCONTINUITY-SEQUENCE:1\n');
    expect(tail).not.toContain('#EXT-X-DISCONTINUITY\n');
    expect(lines(tail, '#EXT-X-MAP')).toEqual(['#EXT-X-MAP:URI="init_sfm4s_video_1.mp4"']);
  });

  it('ends with EXT-X-ENDLIST and no preload hint after the publisher left', () => {
    const g = feed();
    g.add(pattern('Kppp Kp'));
    g.track.end();
    const ended = mediaPlaylist(g.track, { window: { windowSeconds: 12 } });
    expect(ended.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
    expect(ended).not.toContain('PRELOAD-HINT');
    expect(lines(ended, '#EXTINF')).toEqual(['#EXTINF:2.00000,', '#EXTINF:1.00000,']);
  });

  it('_HLS_skip=YES replaces segments older than CAN-SKIP-UNTIL with EXT-X-SKIP', () => {
    const g = feed(undefined, { ...OPTS, keepSegments: 20 });
    g.add(pattern('Kppp '.repeat(10) + 'K'));
    const full = mediaPlaylist(g.track, { window: { windowSeconds: 20 } });
    const delta = mediaPlaylist(g.track, { window: { windowSeconds: 20 }, skip: true });
    // Edge at 20.5 s, CAN-SKIP-UNTIL 12 s: segments ending at or before 8.5 s (0–3) are skipped.
    expect(delta).toContain('#EXT-X-SKIP:SKIPPED-SEGMENTS=4\n');
    expect(delta).toContain('#EXT-X-MEDIA-SEQUENCE:0\n');
    expect(lines(delta, '#EXTINF')).toHaveLength(lines(full, '#EXTINF').length - 4);
    expect(delta).not.toContain('seg_sfm4s_video_3.m4s');
    expect(delta).toContain('seg_sfm4s_video_4.m4s');
    expect(mediaPlaylist(g.track, { window: { windowSeconds: 20 }, skip: false })).not.toContain('EXT-X-SKIP');
  });

  it.each([
    // part target, segment target, longest part/segment seen → PART-TARGET, TARGETDURATION, PART-HOLD-BACK, CAN-SKIP-UNTIL
    [0.5, 2, [[0.5, true]] as Array<[number, boolean]>, 0.5, 2, 1.5, 12],
    [0.333, 2, [[0.3, true]] as Array<[number, boolean]>, 0.333, 2, 0.999, 12],
    [0.5, 2, [[0.6, true]] as Array<[number, boolean]>, 0.6, 2, 1.8, 12],
    [0.5, 2, pattern('Kppppppp'), 0.5, 4, 1.5, 24],
  ])('targets for part %s s / segment %s s', (pt, st, parts, expPart, expTarget, expHold, expSkip) => {
    const g = feed(undefined, { segmentSeconds: st, partTargetSeconds: pt, keepSegments: 6 });
    g.add(parts);
    expect(partTarget(g.track)).toBeCloseTo(expPart);
    expect(targetDuration(g.track)).toBe(expTarget);
    expect(partHoldBack(g.track)).toBeCloseTo(expHold);
    expect(partHoldBack(g.track)).toBeGreaterThanOrEqual(3 * partTarget(g.track) - 0.001);
    expect(canSkipUntil(g.track)).toBe(expSkip);
  });
});

describe('master playlist', () => {
  const tracks = (...inits: Array<typeof VIDEO_INIT>) => inits.map((info) => feed(info).track);

  it('one video variant with the audio as an EXT-X-MEDIA rendition', () => {
    const text = masterPlaylist(tracks(VIDEO_INIT, AUDIO_INIT));
    expect(text).toContain(
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="chunklist_sfm4s_audio.m3u8"\n',
    );
    expect(text).toMatch(
      /#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="avc1\.4d401f,mp4a\.40\.2",RESOLUTION=1280x720,AUDIO="audio"\nchunklist_sfm4s_video\.m3u8\n/,
    );
  });

  it('an audio-only stream is a single audio variant', () => {
    const text = masterPlaylist(tracks(AUDIO_INIT));
    expect(text).not.toContain('EXT-X-MEDIA:');
    expect(text).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="mp4a\.40\.2"\nchunklist_sfm4s_audio\.m3u8\n/);
  });
});
