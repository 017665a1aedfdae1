// DVR parameters on playlists ffmpeg writes (TS HLS) and on master playlists, from tables.
import { describe, expect, it } from 'vitest';
import { carryQueryToUris, isHlsMasterPlaylist, windowHlsPlaylist } from '../../src/origin/manifest-rewrite.js';

/** As ffmpeg 5.1 writes a live playlist with program_date_time, after a republish (append_list). */
const TS = `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:40
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-PROGRAM-DATE-TIME:2026-12-01T10:00:00.000+0000
#EXTINF:2.000000,
seg_00040.ts
#EXT-X-PROGRAM-DATE-TIME:2026-12-01T10:00:02.000+0000
#EXTINF:2.000000,
seg_00041.ts
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2026-12-01T10:00:30.000+0000
#EXTINF:2.000000,
seg_00042.ts
#EXT-X-PROGRAM-DATE-TIME:2026-12-01T10:00:32.000+0000
#EXTINF:2.000000,
seg_00043.ts
#EXTINF:2.000000,
seg_00044.ts
`;
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);

function segs(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('seg_'));
}
function tag(text: string, name: string): string | undefined {
  return text
    .split('\n')
    .find((l) => l.startsWith(`${name}:`))
    ?.slice(name.length + 1);
}

describe('windowHlsPlaylist', () => {
  it.each([
    ['no parameter: unchanged', {}, TS],
    ['start in the first segment: unchanged', { startMs: T0 + 500 }, TS],
    ['start before the window: clamped, unchanged', { startMs: T0 - 60_000 }, TS],
  ])('%s', (_n, sel, want) => {
    expect(windowHlsPlaylist(TS, { windowSeconds: 1800, ...sel })).toBe(want);
  });

  it.each([
    // [name, selection, first segment, media sequence, discontinuity sequence, discontinuity tags left]
    ['start in the second segment', { startMs: T0 + 3_000 }, 'seg_00041.ts', '41', undefined, 1],
    [
      'start in the gap: the segment after the discontinuity, whose tag becomes the sequence',
      { startMs: T0 + 10_000 },
      'seg_00042.ts',
      '42',
      '1',
      0,
    ],
    ['start in a segment with no PDT of its own (from the one before)', { startMs: T0 + 35_000 }, 'seg_00044.ts', '44', '1', 0],
    ['dvr_window_length=4: the newest two', { dvrWindowLength: 4 }, 'seg_00043.ts', '43', '1', 0],
    ['a configured window of 6 s: the newest three', { windowSeconds: 6 }, 'seg_00042.ts', '42', '1', 0],
  ])('%s', (_n, sel, first, seq, disc, discTags) => {
    const out = windowHlsPlaylist(TS, { windowSeconds: 1800, ...sel });
    expect(segs(out)[0]).toBe(first);
    expect(segs(out).at(-1)).toBe('seg_00044.ts');
    expect(tag(out, '#EXT-X-MEDIA-SEQUENCE')).toBe(seq);
    expect(tag(out, '#EXT-X-DISCONTINUITY-SEQUENCE')).toBe(disc);
    expect(out.split('\n').filter((l) => l === '#EXT-X-DISCONTINUITY')).toHaveLength(discTags);
    // Header tags stay, in order; every listed segment keeps its EXTINF.
    expect(out.split('\n').slice(0, 3)).toEqual(['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2']);
    expect(out).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
    expect(out.split('\n').filter((l) => l.startsWith('#EXTINF:'))).toHaveLength(segs(out).length);
  });

  it('keeps EXT-X-ENDLIST and adds to an existing discontinuity sequence', () => {
    const ended = TS.replace('#EXT-X-MEDIA-SEQUENCE:40', '#EXT-X-MEDIA-SEQUENCE:40\n#EXT-X-DISCONTINUITY-SEQUENCE:3') + '#EXT-X-ENDLIST\n';
    const out = windowHlsPlaylist(ended, { windowSeconds: 1800, dvrWindowLength: 2 });
    expect(segs(out)).toEqual(['seg_00044.ts']);
    expect(tag(out, '#EXT-X-DISCONTINUITY-SEQUENCE')).toBe('4');
    expect(out.trimEnd().split('\n').at(-1)).toBe('#EXT-X-ENDLIST');
  });
});

describe('carryQueryToUris', () => {
  const MASTER = `#EXTM3U
#EXT-X-VERSION:9
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",URI="chunklist_sfm4s_audio.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=2000000,CODECS="avc1.4d401f,mp4a.40.2",AUDIO="audio"
chunklist_sfm4s_video.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=800000
low/index.m3u8?token=abc
`;
  it('adds the DVR query to every variant and rendition URI', () => {
    const out = carryQueryToUris(MASTER, 'dvr_window_length=60&start=1796119200');
    expect(out).toContain('URI="chunklist_sfm4s_audio.m3u8?dvr_window_length=60&start=1796119200"');
    expect(out).toContain('\nchunklist_sfm4s_video.m3u8?dvr_window_length=60&start=1796119200\n');
    expect(out).toContain('\nlow/index.m3u8?token=abc&dvr_window_length=60&start=1796119200\n');
    expect(out).toContain('CODECS="avc1.4d401f,mp4a.40.2"');
  });
  it('no query: unchanged', () => {
    expect(carryQueryToUris(MASTER, '')).toBe(MASTER);
  });
  it('tells a master playlist from a media playlist', () => {
    expect(isHlsMasterPlaylist(MASTER)).toBe(true);
    expect(isHlsMasterPlaylist(TS)).toBe(false);
  });
});
