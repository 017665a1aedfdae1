import { describe, expect, it } from 'vitest';
import { apiBase, describeStreams } from '../../src/origin/streams-api.js';
import { liveStream as stream } from '../helpers/live-stream.js';

describe('/api/streams body', () => {
  const base = apiBase({
    hostHeader: 'example.test:8080',
    protocol: 'http',
    fallbackHost: '127.0.0.1',
    fallbackPort: 8080,
    rtmpPort: 1935,
  });

  it('lists every family with absolute URLs and root-relative paths', () => {
    const body = describeStreams(
      [
        stream('livepkgr', 'livestream', {
          event: 'liveevent',
          video: { codec: 'h264', width: 1280, height: 720 },
          audio: { codec: 'aac' },
          bitrateKbps: 2100,
        }),
        stream('cfx/st', 'cam'),
      ],
      base,
    );
    expect(body.streams.map((s) => s.id)).toEqual(['cfx/st/cam', 'livepkgr/livestream']);
    const [cam, pkgr] = body.streams;
    expect(cam.paths.wowza.hls).toBe('/cfx/st/cam/playlist.m3u8');
    expect(cam.urls.wowza.hls).toBe('http://example.test:8080/cfx/st/cam/playlist.m3u8');
    expect(cam.urls.iis.smooth).toBe('http://example.test:8080/cfx/st/cam.isml/manifest');
    expect(cam.paths.livepkgr).toBeUndefined();
    expect(cam.rtmp).toEqual(['rtmp://example.test:1935/cfx/st/cam']);
    expect(cam.codecs).toEqual({ video: null, audio: null });
    expect(pkgr.event).toBe('liveevent');
    expect(pkgr.urls.livepkgr).toEqual({
      hls: 'http://example.test:8080/hls-live/livepkgr/_definst_/liveevent/livestream.m3u8',
      hds: 'http://example.test:8080/hds-live/livepkgr/_definst_/liveevent/livestream.f4m',
      llhls: 'http://example.test:8080/hls-live/livepkgr/_definst_/liveevent/livestream/playlist_sfm4s.m3u8',
      dash: 'http://example.test:8080/hls-live/livepkgr/_definst_/liveevent/livestream/manifest_sfm4s.mpd',
    });
    // The two keys the player codes against (LL-HLS master, DASH manifest).
    expect(cam.paths.wowza.llhls).toBe('/cfx/st/cam/playlist_sfm4s.m3u8');
    expect(cam.paths.wowza.dash).toBe('/cfx/st/cam/manifest_sfm4s.mpd');
    expect(cam.urls.iis.llhls).toBe('http://example.test:8080/cfx/st/cam.isml/manifest(format=m3u8-cmaf).m3u8');
    expect(cam.urls.iis.dash).toBe('http://example.test:8080/cfx/st/cam.isml/manifest(format=mpd-time-cmaf).mpd');
    expect(pkgr.codecs).toEqual({ video: 'h264', audio: 'aac' });
    expect(pkgr.bitrateKbps).toBe(2100);
    expect(pkgr.startedAt).toBe('2026-11-25T12:00:00.000Z');
    expect(pkgr.packaging).toBe('running');
    // Also at the CloudFront RTMP path: the name is live in one app only (SPEC RTMP-10).
    expect(pkgr.rtmp).toEqual(['rtmp://example.test:1935/livepkgr/livestream', 'rtmp://example.test:1935/cfx/st/livestream']);
  });

  it('prefers publicBaseUrl and never reflects a hostile Host header', () => {
    expect(
      apiBase({ publicBaseUrl: 'https://d123.cloudfront.net/', protocol: 'http', fallbackHost: 'h', fallbackPort: 1, rtmpPort: 1935 }),
    ).toEqual({
      baseUrl: 'https://d123.cloudfront.net',
      rtmpHost: 'd123.cloudfront.net',
      rtmpPort: 1935,
      httpsBaseUrl: 'https://d123.cloudfront.net', // a public https:// URL is the HTTPS one
      httpsPort: 443,
    });
    const evil = apiBase({ hostHeader: 'evil"><script>', protocol: 'http', fallbackHost: '127.0.0.1', fallbackPort: 8080, rtmpPort: 1935 });
    expect(evil.baseUrl).toBe('http://127.0.0.1:8080');
    const v6 = apiBase({ hostHeader: '[::1]:8080', protocol: 'http', fallbackHost: '127.0.0.1', fallbackPort: 8080, rtmpPort: 1935 });
    expect(v6).toEqual({ baseUrl: 'http://[::1]:8080', rtmpHost: '::1', rtmpPort: 1935 });
    expect(describeStreams([stream('live', 'x')], v6).streams[0].rtmp).toEqual(['rtmp://[::1]:1935/live/x', 'rtmp://[::1]:1935/cfx/st/x']);
  });
});

describe('/api/streams RTMP play URLs', () => {
  it('offers the CloudFront path cfx/st/<name> only where it reaches that stream (SPEC RTMP-10)', () => {
    const base = apiBase({ hostHeader: 'h:8080', protocol: 'http', fallbackHost: '127.0.0.1', fallbackPort: 8080, rtmpPort: 1935 });
    const body = describeStreams([stream('live', 'both'), stream('livecf', 'both'), stream('live', 'solo')], base);
    const rtmp = Object.fromEntries(body.streams.map((s) => [s.id, s.rtmp]));
    expect(rtmp['live/solo']).toEqual(['rtmp://h:1935/live/solo', 'rtmp://h:1935/cfx/st/solo']);
    expect(rtmp['live/both']).toEqual(['rtmp://h:1935/live/both']);
    expect(rtmp['livecf/both']).toEqual(['rtmp://h:1935/livecf/both']);
  });
});

describe('/api/streams HTTPS URLs of the edge (HTTP/2 for LL-HLS on Apple devices)', () => {
  const common = { protocol: 'http', fallbackHost: '127.0.0.1', fallbackPort: 8080, rtmpPort: 1935 };
  it.each<[Partial<Parameters<typeof apiBase>[0]>, string | undefined, number | undefined]>([
    [{ hostHeader: 'example.test:8080', edgeHttpsPort: 8443 }, 'https://example.test:8443', 8443],
    [{ hostHeader: 'example.test:8080', edgeHttpsPort: 443 }, 'https://example.test', 443],
    [{ hostHeader: '[::1]:8080', edgeHttpsPort: 8443 }, 'https://[::1]:8443', 8443],
    [{ hostHeader: 'evil"><script>', edgeHttpsPort: 8443 }, 'https://127.0.0.1:8443', 8443], // a hostile Host is not reflected
    [{ hostHeader: 'example.test:8080', edgeHttpsPort: 0 }, undefined, undefined], // HTTPS off
    [{ hostHeader: 'example.test:8080' }, undefined, undefined], // no edge beside the origin
    [{ publicBaseUrl: 'http://cdn.example.test/base/', edgeHttpsPort: 8443 }, 'https://cdn.example.test:8443/base', 8443],
    [{ publicBaseUrl: 'https://cdn.example.test:9443/', edgeHttpsPort: 8443 }, 'https://cdn.example.test:9443', 9443],
  ])('%j → %s', (over, httpsBaseUrl, port) => {
    const base = apiBase({ ...common, ...over });
    expect(base.httpsBaseUrl).toBe(httpsBaseUrl);
    const body = describeStreams([stream('live', 'x')], base, { cmaf: true });
    if (httpsBaseUrl === undefined) {
      expect(body.https).toBeUndefined();
      expect(body.streams[0]!.httpsUrls).toBeUndefined();
      return;
    }
    expect(body.https).toEqual({ port, baseUrl: httpsBaseUrl });
    const s = body.streams[0]!;
    expect(s.httpsUrls!.wowza.llhls).toBe(`${httpsBaseUrl}/live/x/playlist_sfm4s.m3u8`);
    expect(s.httpsUrls!.wowza.hls).toBe(`${httpsBaseUrl}${s.paths.wowza.hls}`);
    expect(s.urls.wowza.llhls?.startsWith(base.baseUrl)).toBe(true); // the HTTP ones stay beside them
  });
});
