import { describe, expect, it } from 'vitest';
import {
  decodePathSegments,
  diskLocation,
  FAMILY_KINDS,
  manifestPaths,
  mediaPath,
  parseMediaPath,
  type MediaRoute,
} from '../../src/origin/url-families.js';
import { HDS_FILES, HLS_FILES, SMOOTH_FILES } from '../../src/timeline/output-layout.js';

function route(path: string): MediaRoute {
  const r = parseMediaPath(path);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${r.reason}`);
  return r.route;
}

function status(path: string): number {
  const r = parseMediaPath(path);
  return r.ok ? 200 : r.status;
}

const live = { app: 'live', name: 'talk' };
const cfx = { app: 'cfx/st', name: 'cam' };
const pkgr = { app: 'livepkgr', name: 'livestream' };

describe('Wowza family (SPEC ING-03)', () => {
  it.each([
    ['/live/talk/playlist.m3u8', { family: 'wowza', key: live, kind: 'hls-playlist' }],
    ['/live/talk/manifest.f4m', { family: 'wowza', key: live, kind: 'hds-manifest' }],
    ['/live/talk/Manifest', { family: 'wowza', key: live, kind: 'smooth-manifest' }],
    ['/live/talk/seg_00001.ts', { family: 'wowza', key: live, kind: 'hls-segment', name: 'seg_00001.ts' }],
    ['/live/talk/stream0.bootstrap', { family: 'wowza', key: live, kind: 'hds-bootstrap', name: 'stream0.bootstrap' }],
    ['/live/talk/stream0Seg1-Frag12', { family: 'wowza', key: live, kind: 'hds-fragment', name: 'stream0Seg1-Frag12' }],
    [
      '/live/talk/QualityLevels(2000000)/Fragments(video=670000)',
      { family: 'wowza', key: live, kind: 'smooth-fragment', name: 'QualityLevels(2000000)/Fragments(video=670000)' },
    ],
    [
      '/livecf/myStream/QualityLevels(128000)/Fragments(audio=460000)',
      {
        family: 'wowza',
        key: { app: 'livecf', name: 'myStream' },
        kind: 'smooth-fragment',
        name: 'QualityLevels(128000)/Fragments(audio=460000)',
      },
    ],
    ['/cfx/st/cam/playlist.m3u8', { family: 'wowza', key: cfx, kind: 'hls-playlist' }],
    ['/cfx/st/cam/seg_00007.ts', { family: 'wowza', key: cfx, kind: 'hls-segment', name: 'seg_00007.ts' }],
    [
      '/cfx/st/cam/QualityLevels(1)/Fragments(video=0)',
      { family: 'wowza', key: cfx, kind: 'smooth-fragment', name: 'QualityLevels(1)/Fragments(video=0)' },
    ],
    // An ordinary app `cfx` with a stream `st` still works where the two-level reading fails.
    ['/cfx/st/playlist.m3u8', { family: 'wowza', key: { app: 'cfx', name: 'st' }, kind: 'hls-playlist' }],
    [
      '/cfx/st/QualityLevels(1)/Fragments(video=0)',
      { family: 'wowza', key: { app: 'cfx', name: 'st' }, kind: 'smooth-fragment', name: 'QualityLevels(1)/Fragments(video=0)' },
    ],
    // Encoded parentheses and `=` decode to the same route (SPEC ING-02).
    [
      '/live/talk/QualityLevels%282000000%29/Fragments%28video%3D670000%29',
      { family: 'wowza', key: live, kind: 'smooth-fragment', name: 'QualityLevels(2000000)/Fragments(video=670000)' },
    ],
  ])('%s', (path, expected) => {
    expect(route(path)).toEqual(expected);
  });

  it('serves the exact case of the Wowza manifest names (SPEC 9 item 21)', () => {
    expect(status('/live/talk/manifest')).toBe(404);
    expect(status('/live/talk/Playlist.m3u8')).toBe(404);
    expect(status('/live/talk/MANIFEST.F4M')).toBe(404);
  });
});

describe('Adobe livepkgr family (SPEC ING-01 / 2.1)', () => {
  it.each([
    ['/hls-live/livepkgr/_definst_/liveevent/livestream.m3u8', { family: 'livepkgr', key: pkgr, event: 'liveevent', kind: 'hls-playlist' }],
    ['/hds-live/livepkgr/_definst_/liveevent/livestream.f4m', { family: 'livepkgr', key: pkgr, event: 'liveevent', kind: 'hds-manifest' }],
    [
      '/hls-live/livepkgr/_definst_/liveevent/livestream/seg_00003.ts',
      { family: 'livepkgr', key: pkgr, event: 'liveevent', kind: 'hls-segment', name: 'seg_00003.ts' },
    ],
    [
      '/hds-live/livepkgr/_definst_/liveevent/livestream/stream0.bootstrap',
      { family: 'livepkgr', key: pkgr, event: 'liveevent', kind: 'hds-bootstrap', name: 'stream0.bootstrap' },
    ],
    [
      '/hds-live/livepkgr/_definst_/liveevent/livestream/stream0Seg1-Frag3',
      { family: 'livepkgr', key: pkgr, event: 'liveevent', kind: 'hds-fragment', name: 'stream0Seg1-Frag3' },
    ],
    ['/hls-live/cfx/st/_definst_/ev/cam.m3u8', { family: 'livepkgr', key: cfx, event: 'ev', kind: 'hls-playlist' }],
  ])('%s', (path, expected) => {
    expect(route(path)).toEqual(expected);
  });

  it.each([
    '/hls-live/livepkgr/_definst_/liveevent/livestream.f4m', // wrong prefix for the format
    '/hds-live/livepkgr/_definst_/liveevent/livestream.m3u8',
    '/hls-live/livepkgr/liveevent/livestream.m3u8', // no _definst_
    '/hls-live/livepkgr/_definst_/liveevent/livestream/stream0Seg1-Frag3', // HDS media under hls-live
    '/hds-live/livepkgr/_definst_/liveevent/livestream/seg_00001.ts',
    '/hls-live/livepkgr/_definst_/liveevent/livestream/Manifest',
    '/hls-live/livepkgr/_definst_/live.event/livestream.m3u8',
  ])('refuses %s', (path) => {
    expect(status(path)).toBe(404);
  });
});

describe('IIS family (SPEC ING-02)', () => {
  it.each([
    ['/talk.isml/manifest', { family: 'iis', key: live, kind: 'smooth-manifest' }],
    ['/talk.isml/Manifest', { family: 'iis', key: live, kind: 'smooth-manifest' }],
    ['/talk.isml/MANIFEST', { family: 'iis', key: live, kind: 'smooth-manifest' }],
    ['/talk.isml/manifest(format=m3u8-aapl).m3u8', { family: 'iis', key: live, kind: 'hls-playlist' }],
    ['/talk.isml/Manifest(format=m3u8-aapl).m3u8', { family: 'iis', key: live, kind: 'hls-playlist' }],
    ['/talk.isml/manifest%28format%3Dm3u8-aapl%29.m3u8', { family: 'iis', key: live, kind: 'hls-playlist' }],
    ['/talk.isml/seg_00002.ts', { family: 'iis', key: live, kind: 'hls-segment', name: 'seg_00002.ts' }],
    [
      '/talk.isml/QualityLevels(2000000)/Fragments(video=670000)',
      { family: 'iis', key: live, kind: 'smooth-fragment', name: 'QualityLevels(2000000)/Fragments(video=670000)' },
    ],
    ['/livecf/myStream.isml/manifest', { family: 'iis', key: { app: 'livecf', name: 'myStream' }, kind: 'smooth-manifest' }],
    ['/live/talk.isml/manifest', { family: 'iis', key: live, kind: 'smooth-manifest' }],
    ['/cfx/st/cam.isml/manifest', { family: 'iis', key: cfx, kind: 'smooth-manifest' }],
    ['/cfx/st/cam.isml/manifest(format=m3u8-aapl).m3u8', { family: 'iis', key: cfx, kind: 'hls-playlist' }],
  ])('%s', (path, expected) => {
    expect(route(path)).toEqual(expected);
  });

  it.each([
    '/talk.isml/manifest.f4m',
    '/talk.isml/stream0Seg1-Frag1',
    '/a/b/talk.isml/manifest',
    '/talk.isml/manifest(format=mpd-time-csf)',
  ])('refuses %s', (path) => expect(status(path)).toBe(404));
});

describe('bad names and traversal vectors', () => {
  it.each([
    '/live/../etc/passwd',
    '/live/talk/..',
    '/live/talk/%2e%2e/%2e%2e/etc/passwd',
    '/live/%2E%2E/talk/playlist.m3u8',
    '/live/talk%2f..%2f..%2fetc/playlist.m3u8',
    '/live/talk/..%2fManifest',
    '/live/talk/%252e%252e/playlist.m3u8', // double encoding
    '/live/talk/seg_00001.ts%00.m3u8',
    '/live/talk/seg_00001.ts\0',
    '/live\\..\\talk/playlist.m3u8',
    '/live/talk/%5c..%5cplaylist.m3u8',
    '/live/talk/%E0%A4%A', // malformed encoding
    '/live/talk/.',
    `/live/talk/${'a'.repeat(2100)}`,
    'live/talk/playlist.m3u8',
  ])('400 for %s', (path) => {
    expect(status(path)).toBe(400);
  });

  it.each([
    '/live/talk/seg_1.ts.bak',
    '/live/talk/seg_abc.ts',
    '/live/talk/index.m3u8', // the disk name is not a URL
    '/live/talk/stream0.abst',
    '/live/talk/stream.json',
    '/live/talk/QualityLevels(1)/FragmentInfo(video=0)',
    '/live/talk/QualityLevels(1)/temp',
    '/live/talk/QualityLevels(x)/Fragments(video=0)',
    '/live/talk/QualityLevels(1)/Fragments(text=0)',
    '/live/ta.lk/playlist.m3u8',
    '/api/streams/playlist.m3u8', // reserved app
    '/hls-live/x',
    '/live/talk',
    '/live//talk/playlist.m3u8',
    '/',
  ])('404 for %s', (path) => {
    expect(status(path)).toBe(404);
  });

  it('decodes segments once and keeps parentheses', () => {
    expect(decodePathSegments('/a/QualityLevels%281%29')).toEqual({ ok: true, segments: ['a', 'QualityLevels(1)'] });
  });
});

describe('both directions', () => {
  const streams = [
    { key: live, event: undefined },
    { key: cfx, event: undefined },
    { key: pkgr, event: 'liveevent' },
    { key: { app: 'livecf', name: 'myStream' }, event: undefined },
  ];
  const media: Record<string, string | undefined> = {
    'hls-playlist': undefined,
    'hds-manifest': undefined,
    'smooth-manifest': undefined,
    'hls-segment': 'seg_00042.ts',
    'hds-bootstrap': 'stream0.bootstrap',
    'hds-fragment': 'stream0Seg1-Frag42',
    'smooth-fragment': 'QualityLevels(2000000)/Fragments(video=670000)',
    'llhls-playlist': 'chunklist_sfm4s_video.m3u8',
    'cmaf-init': 'init_sfm4s_audio_0.mp4',
    'cmaf-part': 'part_sfm4s_video_17961220139.m4s',
    'cmaf-segment': 'seg_sfm4s_audio_1796122014.m4s',
  };

  it('parses back every path it builds, for every family and kind', () => {
    let n = 0;
    for (const s of streams) {
      for (const family of ['wowza', 'iis', 'livepkgr'] as const) {
        if (family === 'livepkgr' && !s.event) continue;
        for (const kind of FAMILY_KINDS[family]) {
          const r: MediaRoute = {
            family,
            key: s.key,
            kind,
            ...(media[kind] ? { name: media[kind] } : {}),
            ...(family === 'livepkgr' ? { event: s.event } : {}),
          };
          const path = mediaPath(r);
          expect(route(path), path).toEqual(r);
          n++;
        }
      }
    }
    expect(n).toBe(4 * (7 + 6) + 4 * (4 + 6) + (5 + 6));
  });

  it('builds the manifest paths of every family', () => {
    expect(manifestPaths(live)).toEqual({
      wowza: {
        hls: '/live/talk/playlist.m3u8',
        hds: '/live/talk/manifest.f4m',
        smooth: '/live/talk/Manifest',
        llhls: '/live/talk/playlist_sfm4s.m3u8',
        dash: '/live/talk/manifest_sfm4s.mpd',
      },
      iis: {
        smooth: '/talk.isml/manifest',
        hls: '/talk.isml/manifest(format=m3u8-aapl).m3u8',
        llhls: '/talk.isml/manifest(format=m3u8-cmaf).m3u8',
        dash: '/talk.isml/manifest(format=mpd-time-cmaf).mpd',
      },
    });
    expect(manifestPaths(cfx).iis).toEqual({
      smooth: '/cfx/st/cam.isml/manifest',
      hls: '/cfx/st/cam.isml/manifest(format=m3u8-aapl).m3u8',
      llhls: '/cfx/st/cam.isml/manifest(format=m3u8-cmaf).m3u8',
      dash: '/cfx/st/cam.isml/manifest(format=mpd-time-cmaf).mpd',
    });
    expect(manifestPaths(cfx).wowza.hls).toBe('/cfx/st/cam/playlist.m3u8');
    expect(manifestPaths(pkgr, 'liveevent').livepkgr).toEqual({
      hls: '/hls-live/livepkgr/_definst_/liveevent/livestream.m3u8',
      hds: '/hds-live/livepkgr/_definst_/liveevent/livestream.f4m',
      llhls: '/hls-live/livepkgr/_definst_/liveevent/livestream/playlist_sfm4s.m3u8',
      dash: '/hls-live/livepkgr/_definst_/liveevent/livestream/manifest_sfm4s.mpd',
    });
  });

  it.each([
    ['/live/talk/chunklist_sfm4s_video.m3u8x'],
    ['/live/talk/part_sfm4s_video_1.m4s/x'],
    ['/live/talk/part_sfm4s_Video_1.m4s'],
    ['/live/talk/part_sfm4s_video_-1.m4s'],
    ['/live/talk/seg_sfm4s_video_1234567890123456.m4s'],
    ['/live/talk/init_sfm4s_video.mp4'],
    ['/hds-live/livepkgr/_definst_/ev/lp/playlist_sfm4s.m3u8'],
  ])('CMAF names outside the exact patterns are 404: %s', (path) => {
    expect(parseMediaPath(path).ok).toBe(false);
  });

  it('livepkgr media of two streams of one event do not collide', () => {
    const a = mediaPath({ family: 'livepkgr', key: { app: 'livepkgr', name: 'a' }, event: 'e', kind: 'hls-segment', name: 'seg_00001.ts' });
    const b = mediaPath({ family: 'livepkgr', key: { app: 'livepkgr', name: 'b' }, event: 'e', kind: 'hls-segment', name: 'seg_00001.ts' });
    expect(a).not.toBe(b);
  });

  it('maps routes to the packager files (the output layout)', () => {
    expect(diskLocation(route('/live/talk/playlist.m3u8'))).toEqual({ format: 'hls', file: HLS_FILES.playlist });
    expect(diskLocation(route('/live/talk/manifest.f4m'))).toEqual({ format: 'hds', file: HDS_FILES.manifest });
    expect(diskLocation(route('/talk.isml/manifest'))).toEqual({ format: 'mss', file: SMOOTH_FILES.manifest });
    expect(diskLocation(route('/live/talk/stream0.bootstrap'))).toEqual({ format: 'hds', file: HDS_FILES.bootstrap('stream0') });
    expect(diskLocation(route('/live/talk/stream0Seg1-Frag2'))).toEqual({ format: 'hds', file: 'stream0Seg1-Frag2' });
    expect(diskLocation(route('/talk.isml/seg_00002.ts'))).toEqual({ format: 'hls', file: 'seg_00002.ts' });
    expect(diskLocation(route('/talk.isml/QualityLevels(1)/Fragments(audio=5)'))).toEqual({
      format: 'mss',
      file: 'QualityLevels(1)/Fragments(audio=5)',
    });
  });

  it('refuses to build a path for a kind the family does not serve', () => {
    expect(() => mediaPath({ family: 'iis', key: live, kind: 'hds-manifest' })).toThrow();
    expect(() => mediaPath({ family: 'livepkgr', key: pkgr, kind: 'hls-playlist' })).toThrow();
  });
});
