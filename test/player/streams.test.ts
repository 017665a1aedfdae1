// Unit tests of the player's pure rules (player/streams.js): reading /api/streams, the deep link,
// which URL is played, the URL families shown, and X-Cache counting (SPEC 4.6).
import { describe, expect, it } from 'vitest';
import {
  bufferAhead,
  chooseMode,
  classifyUrl,
  classifyXCache,
  createHitCounter,
  describeMedia,
  formatLatency,
  hlsUrl,
  httpsPageUrl,
  httpProblem,
  manifestState,
  normalizeStreams,
  pageQuery,
  parseModeParam,
  parseStreamParam,
  playbackModes,
  playbackUrls,
  programDateLatency,
} from '../../player/streams.js';
import { liveStream } from '../helpers/live-stream.js';

const entry = {
  app: 'live',
  name: 'demo',
  video: { codec: 'h264', width: 1280, height: 720, fps: 30 },
  audio: { codec: 'aac', sampleRate: 48000, channels: 2 },
  bitrateKbps: 2100.4,
  startedAt: '2026-11-25T12:00:00.000Z',
  paths: { hls: '/live/demo/playlist.m3u8', hds: '/live/demo/manifest.f4m', smooth: '/live/demo/Manifest' },
  urls: { hls: 'http://127.0.0.1:8080/live/demo/playlist.m3u8' },
};

describe('normalizeStreams', () => {
  it('accepts a bare array and a { streams } object alike', () => {
    expect(normalizeStreams([entry]).map((s) => s.id)).toEqual(['live/demo']);
    expect(normalizeStreams({ streams: [entry] }).map((s) => s.id)).toEqual(['live/demo']);
  });

  it('drops entries without app or name and garbage bodies, and sorts by id', () => {
    const list = normalizeStreams([{ name: 'x' }, null, 7, { ...entry, name: 'b' }, { ...entry, app: 'cfx/st', name: 'a' }]);
    expect(list.map((s) => s.id)).toEqual(['cfx/st/a', 'live/b']);
    expect(normalizeStreams('nope')).toEqual([]);
    expect(normalizeStreams({ streams: 'nope' })).toEqual([]);
  });

  it('reads codecs grouped under `codecs` or as strings', () => {
    const [s] = normalizeStreams([{ app: 'live', name: 'x', codecs: { video: 'h264', audio: 'aac' } }]);
    expect(s!.video).toEqual({ codec: 'h264' });
    expect(describeMedia(s!)).toBe('h264 · aac');
    expect(describeMedia(normalizeStreams([entry])[0]!)).toBe('h264 1280×720 30fps · aac · 2100 kbit/s');
  });
});

describe('parseStreamParam (deep link /?stream=<app>/<stream>)', () => {
  it.each([
    ['?stream=live/demo', { app: 'live', name: 'demo', id: 'live/demo' }],
    ['?stream=cfx/st/demo', { app: 'cfx/st', name: 'demo', id: 'cfx/st/demo' }],
    ['?stream=live%2Fdemo', { app: 'live', name: 'demo', id: 'live/demo' }],
    ['?stream=livepkgr/livestream&x=1', { app: 'livepkgr', name: 'livestream', id: 'livepkgr/livestream' }],
  ])('%s', (search, want) => expect(parseStreamParam(search)).toEqual(want));

  it.each([
    '',
    '?stream=',
    '?stream=demo',
    '?stream=/demo',
    '?stream=live/',
    '?stream=../x/demo',
    '?stream=live/de%20mo',
    '?stream=live/<b>',
  ])('rejects %j', (search) => expect(parseStreamParam(search)).toBeNull());
});

describe('classifyUrl (SPEC 2.1–2.3 URL families)', () => {
  it.each([
    ['/live/demo/playlist.m3u8', 'HLS'],
    ['/live/demo/manifest.f4m', 'HDS'],
    ['/live/demo/Manifest', 'Smooth Streaming'],
    ['/hls-live/livepkgr/_definst_/liveevent/livestream.m3u8', 'HLS (Adobe livepkgr)'],
    ['/hds-live/livepkgr/_definst_/liveevent/livestream.f4m', 'HDS (Adobe livepkgr)'],
    ['/demo.isml/manifest', 'Smooth (IIS)'],
    ['/demo.isml/Manifest', 'Smooth (IIS)'],
    ['/demo.isml/manifest(format=m3u8-aapl).m3u8', 'HLS (IIS alias)'],
    ['rtmp://h:1935/cfx/st/demo', 'RTMP (CloudFront-style cfx/st)'],
    ['rtmp://h:1935/live/demo', 'RTMP'],
    ['/live/demo/seg_00001.ts', null],
  ])('%s → %s', (url, family) => expect(classifyUrl(url)).toBe(family));
});

describe('playbackUrls / hlsUrl', () => {
  it("points every HTTP URL at the page's own origin (the edge), even when the API names the origin", () => {
    const rows = playbackUrls(normalizeStreams([entry])[0]!, 'http://localhost:8000/');
    const http = rows.filter((r) => r.url.startsWith('http'));
    expect(http.map((r) => r.url)).toEqual([
      'http://localhost:8000/live/demo/playlist.m3u8',
      'http://localhost:8000/live/demo/manifest.f4m',
      'http://localhost:8000/live/demo/Manifest',
    ]);
  });

  it('offers RTMP in the CloudFront cfx/st form and the app form (SPEC RTMP-10) when the API gives none', () => {
    const rows = playbackUrls({ app: 'live', name: 'demo' }, 'http://example.com:8000/');
    expect(rows.filter((r) => r.url.startsWith('rtmp')).map((r) => r.url)).toEqual([
      'rtmp://example.com:1935/live/demo',
      'rtmp://example.com:1935/cfx/st/demo',
    ]);
  });

  it("keeps the API's RTMP port and replaces a loopback/wildcard host by the page's host", () => {
    const rows = playbackUrls(
      { app: 'live', name: 'demo', rtmp: ['rtmp://0.0.0.0:19350/live/demo', 'rtmp://0.0.0.0:19350/cfx/st/demo'] },
      'http://media.example.com/',
    );
    expect(rows.filter((r) => r.url.startsWith('rtmp')).map((r) => r.url)).toEqual([
      'rtmp://media.example.com:19350/live/demo',
      'rtmp://media.example.com:19350/cfx/st/demo',
    ]);
  });

  it('offers only the RTMP URLs the API gives (cfx/st is left out where it would reach another stream)', () => {
    const rows = playbackUrls({ app: 'live', name: 'both', rtmp: ['rtmp://h:1935/live/both'] }, 'http://h/');
    expect(rows.filter((r) => r.url.startsWith('rtmp')).map((r) => r.url)).toEqual(['rtmp://h:1935/live/both']);
  });

  it('lists livepkgr and IIS forms when the API has them, without duplicates', () => {
    const rows = playbackUrls(
      {
        app: 'livepkgr',
        name: 'livestream',
        paths: {
          hls: ['/livepkgr/livestream/playlist.m3u8', '/hls-live/livepkgr/_definst_/ev/livestream.m3u8'],
          hds: { wowza: '/livepkgr/livestream/manifest.f4m', livepkgr: '/hds-live/livepkgr/_definst_/ev/livestream.f4m' },
          smooth: ['/livepkgr/livestream/Manifest', '/livepkgr/livestream.isml/manifest'],
        },
        urls: { hls: 'http://10.0.0.1:8080/livepkgr/livestream/playlist.m3u8' },
      },
      'http://localhost:8000/',
    );
    const families = rows.map((r) => r.family);
    expect(families).toEqual([
      'HLS',
      'HDS',
      'Smooth Streaming',
      'HLS (Adobe livepkgr)',
      'HDS (Adobe livepkgr)',
      'Smooth (IIS)',
      'RTMP',
      'RTMP (CloudFront-style cfx/st)',
    ]);
    expect(new Set(rows.map((r) => r.url)).size).toBe(rows.length);
  });

  it('plays the Wowza-style playlist, falling back to /<app>/<name>/playlist.m3u8 (SPEC ING-03)', () => {
    expect(hlsUrl({ app: 'live', name: 'demo' }, 'http://localhost:8000/')).toBe('http://localhost:8000/live/demo/playlist.m3u8');
    expect(
      hlsUrl({ app: 'livepkgr', name: 's', paths: ['/hls-live/livepkgr/_definst_/e/s.m3u8', '/livepkgr/s/playlist.m3u8'] }, 'http://h/'),
    ).toBe('http://h/livepkgr/s/playlist.m3u8');
  });
});

describe('X-Cache counting', () => {
  it('classifies the four CloudFront values and no header', () => {
    expect(classifyXCache('Hit from cloudfront')).toBe('hit');
    expect(classifyXCache('RefreshHit from cloudfront')).toBe('refresh');
    expect(classifyXCache('Miss from cloudfront')).toBe('miss');
    expect(classifyXCache('Error from cloudfront')).toBe('error');
    expect(classifyXCache(null)).toBeNull();
    expect(classifyXCache('')).toBeNull();
  });

  it('counts RefreshHit as served from the edge, and has no ratio without an edge', () => {
    const c = createHitCounter();
    expect(c.ratio()).toBeNull();
    c.record(null);
    expect(c.ratio()).toBeNull();
    c.record('Miss from cloudfront');
    c.record('Hit from cloudfront');
    c.record('RefreshHit from cloudfront');
    c.record('Hit from cloudfront');
    expect(c.ratio()).toBe(0.75);
    expect(c.counts).toEqual({ hit: 2, refresh: 1, miss: 1, error: 0, none: 1 });
    c.reset();
    expect(c.ratio()).toBeNull();
  });
});

describe('bufferAhead', () => {
  const ranges = (...r: [number, number][]) => ({ length: r.length, start: (i: number) => r[i]![0], end: (i: number) => r[i]![1] });
  it('measures the range that holds the play head, and 0 in a gap', () => {
    expect(bufferAhead(ranges([0, 4], [10, 20]), 12)).toBe(8);
    expect(bufferAhead(ranges([0, 4], [10, 20]), 6)).toBe(0);
    expect(bufferAhead(ranges(), 1)).toBe(0);
  });
});

describe("against the origin's real /api/streams body (src/origin/streams-api.ts)", () => {
  it('reads every field the page uses and plays the Wowza-style playlist through the page origin', async () => {
    const { describeStreams } = await import('../../src/origin/streams-api.js');
    const body = describeStreams(
      [
        liveStream('livepkgr', 'livestream', {
          event: 'liveevent',
          video: { codec: 'h264', width: 1280, height: 720, fps: 30 },
          audio: { codec: 'aac', sampleRate: 48000, channels: 2 },
          bitrateKbps: 2100,
        }),
      ],
      { baseUrl: 'http://127.0.0.1:8080', rtmpHost: '127.0.0.1', rtmpPort: 1935 },
    );
    const [s] = normalizeStreams(JSON.parse(JSON.stringify(body)));
    expect(s).toMatchObject({ id: 'livepkgr/livestream', event: 'liveevent', bitrateKbps: 2100, packaging: 'running' });
    expect(describeMedia(s!)).toBe('h264 1280×720 30fps · aac · 2100 kbit/s');
    expect(hlsUrl(s!, 'http://localhost:8000/')).toBe('http://localhost:8000/livepkgr/livestream/playlist.m3u8');
    const rows = playbackUrls(s!, 'http://media.example.com/');
    expect(rows.map((r) => r.family)).toEqual([
      'LL-HLS (CMAF)',
      'DASH (CMAF)',
      'HLS',
      'HDS',
      'Smooth Streaming',
      'HLS (Adobe livepkgr)',
      'HDS (Adobe livepkgr)',
      'Smooth (IIS)',
      'HLS (IIS alias)',
      'LL-HLS (Adobe livepkgr)',
      'DASH (Adobe livepkgr)',
      'LL-HLS (IIS alias)',
      'DASH (IIS alias)',
      'RTMP',
      'RTMP (CloudFront-style cfx/st)',
    ]);
    expect(rows.map((r) => r.url)).toContain(
      'http://media.example.com/hls-live/livepkgr/_definst_/liveevent/livestream/playlist_sfm4s.m3u8',
    );
    expect(rows.map((r) => r.url)).toContain('http://media.example.com/hls-live/livepkgr/_definst_/liveevent/livestream.m3u8');
    expect(rows.map((r) => r.url)).toContain('rtmp://media.example.com:1935/cfx/st/livestream');
    expect(rows.every((r) => r.url.startsWith('http://media.example.com/') || r.url.startsWith('rtmp://media.example.com:1935/'))).toBe(
      true,
    );
  });
});

describe('playback modes: LL-HLS by default, classic HLS and DASH by switch, from /api/streams', () => {
  const page = 'http://edge.example:8000';
  const withCmaf = {
    app: 'live',
    name: 'demo',
    paths: { wowza: { hls: '/live/demo/playlist.m3u8', llhls: '/live/demo/playlist_sfm4s.m3u8', dash: '/live/demo/manifest_sfm4s.mpd' } },
  };
  const classicOnly = { app: 'live', name: 'demo', paths: { wowza: { hls: '/live/demo/playlist.m3u8' } } };
  const urlsOnly = { app: 'live', name: 'demo', urls: { wowza: { llhls: 'http://127.0.0.1:8080/live/demo/playlist_sfm4s.m3u8' } } };

  it.each([
    [
      'both CMAF outputs listed',
      withCmaf,
      {
        llhls: `${page}/live/demo/playlist_sfm4s.m3u8`,
        hls: `${page}/live/demo/playlist.m3u8`,
        dash: `${page}/live/demo/manifest_sfm4s.mpd`,
      },
    ],
    ["today's server (classic HLS only)", classicOnly, { llhls: null, hls: `${page}/live/demo/playlist.m3u8`, dash: null }],
    [
      'absolute urls, moved onto the page origin',
      urlsOnly,
      { llhls: `${page}/live/demo/playlist_sfm4s.m3u8`, hls: `${page}/live/demo/playlist.m3u8`, dash: null },
    ],
    ['nothing listed: the Wowza default', { app: 'cfx/st', name: 'x' }, { llhls: null, hls: `${page}/cfx/st/x/playlist.m3u8`, dash: null }],
    [
      'a protocol-relative or non-HTTP value is ignored',
      { app: 'live', name: 'demo', paths: { wowza: { llhls: '//evil.example/x.m3u8', dash: 'javascript:alert(1)' } } },
      { llhls: null, hls: `${page}/live/demo/playlist.m3u8`, dash: null },
    ],
  ])('%s', (_what, stream, expected) => {
    expect(playbackModes(stream, page)).toEqual(expected);
  });

  const all = playbackModes(withCmaf, page);
  const classic = playbackModes(classicOnly, page);
  it.each([
    [null, all, 'llhls', false],
    ['llhls', all, 'llhls', false],
    ['hls', all, 'hls', false],
    ['dash', all, 'dash', false],
    ['bogus', all, 'llhls', false],
    [null, classic, 'hls', true],
    ['llhls', classic, 'hls', true],
    ['dash', classic, 'hls', true],
    ['hls', classic, 'hls', false],
  ])('asked %s → plays %s', (requested, modes, mode, fellBack) => {
    const c = chooseMode(requested, modes);
    expect(c.mode).toBe(mode);
    expect(c.url).toBe(modes[mode as 'llhls' | 'hls' | 'dash']);
    expect(c.fallback !== null).toBe(fellBack);
    if (fellBack) expect(c.fallback).toMatch(/not offered .* playing classic HLS/);
  });

  it.each([
    ['?stream=live/a&mode=dash', 'dash'],
    ['?mode=hls', 'hls'],
    ['?mode=llhls', 'llhls'],
    ['?mode=DASH', null],
    ['?mode=', null],
    ['?stream=live/a', null],
  ])('parseModeParam(%s) = %s', (q, m) => expect(parseModeParam(q)).toBe(m));

  it.each([
    ['live/a', 'llhls', '?stream=live/a'],
    ['live/a', 'hls', '?stream=live/a&mode=hls'],
    ['cfx/st/b', 'dash', '?stream=cfx/st/b&mode=dash'],
  ])('pageQuery(%s, %s)', (id, mode, q) => expect(pageQuery(id, mode as 'hls')).toBe(q));

  it('lists the CMAF URLs under their own families, first', () => {
    const rows = playbackUrls(withCmaf, page);
    expect(rows.slice(0, 3).map((r) => r.family)).toEqual(['LL-HLS (CMAF)', 'DASH (CMAF)', 'HLS']);
    expect(hlsUrl(withCmaf, page)).toBe(`${page}/live/demo/playlist.m3u8`);
  });
});

describe('manifestState', () => {
  it.each([
    ['#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg_1.ts\n', 'live'],
    ['#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nchunklist.m3u8\n', 'live'],
    ['#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXT-X-PART:DURATION=0.5,URI="p1.m4s"\n', 'live'],
    ['#EXTM3U\n#EXTINF:2.0,\nseg_1.ts\n#EXT-X-ENDLIST\n', 'ended'],
    ['#EXTM3U\n#EXT-X-TARGETDURATION:2\n', 'empty'],
    ['<html>404</html>', 'empty'],
    ['', 'empty'],
    [
      '<?xml version="1.0"?><MPD type="dynamic"><Period><AdaptationSet><SegmentTemplate media="$Number$.m4s"/></AdaptationSet></Period></MPD>',
      'live',
    ],
    ['<MPD type="static" mediaPresentationDuration="PT10S"><Period/></MPD>', 'ended'],
    ['<MPD type="dynamic"><Period/></MPD>', 'empty'],
  ])('%j → %s', (text, state) => expect(manifestState(text)).toBe(state));
});

describe('httpProblem', () => {
  it.each([
    [200, true, null],
    [403, true, 'protected'],
    [403, false, 'protected'],
    [401, false, 'protected'],
    [404, true, null],
    [404, false, 'not-found'],
    [410, false, 'not-found'],
    [502, true, 'server'],
    [504, false, 'server'],
    [304, true, null],
  ])('HTTP %i (listed: %s) → %s', (status, listed, kind) => {
    const p = httpProblem(status, listed);
    expect(p?.kind ?? null).toBe(kind);
    if (p) expect(p.body).toContain(`HTTP ${status}`);
  });
  it('names signed URLs and cookies for a protected stream', () => {
    expect(httpProblem(403, true)!.body).toMatch(/signed URL or signed cookies/);
  });
});

describe('programDateLatency and formatLatency', () => {
  it.each([
    [new Date(10_000), 12_500, 2.5],
    [10_000, 10_000, 0],
    [null, 1, null],
    [new Date(NaN), 1, null],
    [0, 1, null],
  ])('%s at %i → %s', (d, now, s) => expect(programDateLatency(d as Date | number | null, now)).toBe(s));
  it.each([
    [1.234, '1.23 s'],
    [null, '–'],
    [NaN, '–'],
    [12, '12.00 s'],
  ])('%s → %s', (v, t) => expect(formatLatency(v as number)).toBe(t));
});

describe('httpsPageUrl: the page on the edge’s HTTPS listener (HTTP/2 for LL-HLS on Apple devices)', () => {
  const page = (protocol: string, hostname: string, search = '?stream=live/demo') => ({ protocol, hostname, pathname: '/', search });
  it.each<[unknown, ReturnType<typeof page>, string | null]>([
    [
      { streams: [], https: { port: 8443, baseUrl: 'https://127.0.0.1:8443' } },
      page('http:', 'cdn.example.test'),
      'https://cdn.example.test:8443/?stream=live/demo',
    ],
    [{ streams: [], https: { port: 443 } }, page('http:', 'cdn.example.test', ''), 'https://cdn.example.test/'],
    [{ streams: [], https: { port: 8443 } }, page('http:', '::1'), 'https://[::1]:8443/?stream=live/demo'],
    [{ streams: [], https: { port: 8443 } }, page('https:', 'cdn.example.test'), null], // already on HTTPS
    [{ streams: [] }, page('http:', 'cdn.example.test'), null], // the edge has no HTTPS
    [[], page('http:', 'cdn.example.test'), null],
    [{ streams: [], https: { port: 'x' } }, page('http:', 'cdn.example.test'), null],
    [{ streams: [], https: { port: 70000 } }, page('http:', 'cdn.example.test'), null],
  ])('%j on %j → %s', (json, loc, want) => expect(httpsPageUrl(json, loc)).toBe(want));
});
