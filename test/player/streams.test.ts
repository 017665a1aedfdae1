// Unit tests of the player's pure rules (player/streams.js): reading /api/streams, the deep link,
// which URL is played, the URL families shown, and X-Cache counting (SPEC 4.6).
import { describe, expect, it } from 'vitest';
import {
  bufferAhead,
  classifyUrl,
  classifyXCache,
  createHitCounter,
  describeMedia,
  hlsUrl,
  normalizeStreams,
  parseStreamParam,
  playbackUrls,
} from '../../player/streams.js';

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

  it.each(['', '?stream=', '?stream=demo', '?stream=/demo', '?stream=live/', '?stream=../x/demo', '?stream=live/de%20mo', '?stream=live/<b>'])(
    'rejects %j',
    (search) => expect(parseStreamParam(search)).toBeNull(),
  );
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
    const rows = playbackUrls({ app: 'live', name: 'demo', rtmp: ['rtmp://0.0.0.0:19350/live/demo', 'rtmp://0.0.0.0:19350/cfx/st/demo'] }, 'http://media.example.com/');
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
      'HLS', 'HDS', 'Smooth Streaming', 'HLS (Adobe livepkgr)', 'HDS (Adobe livepkgr)', 'Smooth (IIS)', 'RTMP', 'RTMP (CloudFront-style cfx/st)',
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
        {
          key: { app: 'livepkgr', name: 'livestream' },
          event: 'liveevent',
          recordMode: false,
          sessionId: 's1',
          publisherIp: '127.0.0.1',
          startedAt: new Date('2026-11-25T12:00:00Z'),
          video: { codec: 'h264', width: 1280, height: 720, fps: 30 },
          audio: { codec: 'aac', sampleRate: 48000, channels: 2 },
          bitrateKbps: 2100,
          packaging: 'running',
        },
      ],
      { baseUrl: 'http://127.0.0.1:8080', rtmpHost: '127.0.0.1', rtmpPort: 1935 },
    );
    const [s] = normalizeStreams(JSON.parse(JSON.stringify(body)));
    expect(s).toMatchObject({ id: 'livepkgr/livestream', event: 'liveevent', bitrateKbps: 2100, packaging: 'running' });
    expect(describeMedia(s!)).toBe('h264 1280×720 30fps · aac · 2100 kbit/s');
    expect(hlsUrl(s!, 'http://localhost:8000/')).toBe('http://localhost:8000/livepkgr/livestream/playlist.m3u8');
    const rows = playbackUrls(s!, 'http://media.example.com/');
    expect(rows.map((r) => r.family)).toEqual([
      'HLS', 'HDS', 'Smooth Streaming', 'HLS (Adobe livepkgr)', 'HDS (Adobe livepkgr)', 'Smooth (IIS)', 'HLS (IIS alias)', 'RTMP', 'RTMP (CloudFront-style cfx/st)',
    ]);
    expect(rows.map((r) => r.url)).toContain('http://media.example.com/hls-live/livepkgr/_definst_/liveevent/livestream.m3u8');
    expect(rows.map((r) => r.url)).toContain('rtmp://media.example.com:1935/cfx/st/livestream');
    expect(rows.every((r) => r.url.startsWith('http://media.example.com/') || r.url.startsWith('rtmp://media.example.com:1935/'))).toBe(true);
  });
});
