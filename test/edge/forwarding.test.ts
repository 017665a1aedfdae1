// SPEC HDR-03/04/05 request header table, CK-01..04 cookies and RSP-01 response headers.
import { describe, expect, it } from 'vitest';
import {
  authorizationForwarded,
  cookieWhitelistMatcher,
  forwardedCookies,
  originRequestHeaders,
  splitResponseHeaders,
  type ForwardingRules,
} from '../../src/edge/forwarding.js';

const none: ForwardingRules = { headers: 'none', headerWhitelist: new Set(), cookies: 'none', cookieWhitelist: [], cacheOptions: false };
const fwd = (raw: string[], rules: Partial<ForwardingRules> = {}, method = 'GET', cacheable = true) =>
  originRequestHeaders({
    method,
    rawHeaders: raw,
    rules: { ...none, ...rules },
    viewerIp: '192.0.2.235',
    cfId: 'CFID',
    originHost: 'origin.example:8080',
    cacheable,
    viewerCountry: 'NZ',
  });

describe('HDR-03: headers when not whitelisted', () => {
  const forwardedUnchanged = [
    'X-Customer-Defined',
    'Cache-Control',
    'Content-MD5',
    'Content-Type',
    'Date',
    'From',
    'Max-Forwards',
    'Origin',
    'Pragma',
    'Via',
    'Warning',
  ];
  it.each(forwardedUnchanged)('%s is forwarded unchanged', (name) => {
    expect(fwd([name, 'v1'])[name.toLowerCase()]).toBe('v1');
  });
  it('conditionals and Range are forwarded unchanged on requests that are not cached', () => {
    for (const name of ['If-Match', 'If-Modified-Since', 'If-None-Match', 'If-Range', 'If-Unmodified-Since', 'Range', 'Request-Range']) {
      expect(fwd([name, 'v'], {}, 'GET', false)[name.toLowerCase()]).toBe('v');
      expect(fwd([name, 'v'], {}, 'GET', true)[name.toLowerCase()]).toBeUndefined(); // the edge fetches the whole object (RNG-01, CND-02)
    }
  });
  const removed = [
    'Accept',
    'Accept-Charset',
    'Accept-Language',
    'Expect',
    'Proxy-Authorization',
    'Proxy-Connection',
    'Referer',
    'TE',
    'Trailer',
    'Upgrade',
  ];
  it.each(removed)('%s is removed', (name) => {
    expect(fwd([name, 'v'])[name.toLowerCase()]).toBeUndefined();
  });
  it('Accept-Encoding becomes gzip when it contains gzip, else it is removed', () => {
    expect(fwd(['Accept-Encoding', 'deflate, gzip;q=0.8, br'])['accept-encoding']).toBe('gzip');
    expect(fwd(['Accept-Encoding', 'deflate, sdch'])['accept-encoding']).toBeUndefined();
    expect(fwd(['Accept-Encoding', 'xgzip'])['accept-encoding']).toBeUndefined();
  });
  it('Connection: Keep-Alive; Host is the origin; User-Agent is Amazon CloudFront, even when absent', () => {
    const h = fwd(['Connection', 'close', 'Host', 'viewer.example', 'User-Agent', 'Player/1']);
    expect(h.connection).toBe('keep-alive');
    expect(h.host).toBe('origin.example:8080');
    expect(h['user-agent']).toBe('Amazon CloudFront');
    expect(fwd([])['user-agent']).toBe('Amazon CloudFront');
  });
  it('Authorization: removed for GET/HEAD, for OPTIONS only when cached; forwarded for the rest', () => {
    expect(authorizationForwarded('GET', false)).toBe(false);
    expect(authorizationForwarded('HEAD', false)).toBe(false);
    expect(authorizationForwarded('OPTIONS', true)).toBe(false);
    expect(authorizationForwarded('OPTIONS', false)).toBe(true);
    for (const m of ['DELETE', 'PATCH', 'POST', 'PUT']) expect(authorizationForwarded(m, false)).toBe(true);
    expect(fwd(['Authorization', 'Basic x'], {}, 'POST', false).authorization).toBe('Basic x');
    expect(fwd(['Authorization', 'Basic x']).authorization).toBeUndefined();
  });
  it('Cookie is never copied by the header rules (CK-01 handles it)', () => {
    expect(fwd(['Cookie', 'a=1']).cookie).toBeUndefined();
  });
  it('CloudFront-* headers are only added when whitelisted, never taken from the viewer', () => {
    expect(fwd(['CloudFront-Viewer-Country', 'US'])['cloudfront-viewer-country']).toBeUndefined();
    const wl = fwd(['User-Agent', 'Mozilla/5.0 (iPhone; CPU iPhone OS 7_0 like Mac OS X) Mobile'], {
      headers: 'whitelist',
      headerWhitelist: new Set([
        'cloudfront-viewer-country',
        'cloudfront-is-mobile-viewer',
        'cloudfront-is-desktop-viewer',
        'cloudfront-forwarded-proto',
      ]),
    });
    expect(wl['cloudfront-viewer-country']).toBe('NZ');
    expect(wl['cloudfront-is-mobile-viewer']).toBe('true');
    expect(wl['cloudfront-is-desktop-viewer']).toBe('false');
    expect(wl['cloudfront-forwarded-proto']).toBe('http');
  });
  it('whitelisted Accept / Referer / User-Agent / Host are forwarded as sent', () => {
    const h = fwd(['Accept', 'text/html', 'Referer', 'http://r/', 'User-Agent', 'UA', 'Host', 'viewer.example'], {
      headers: 'whitelist',
      headerWhitelist: new Set(['accept', 'referer', 'user-agent', 'host']),
    });
    expect([h.accept, h.referer, h['user-agent'], h.host]).toEqual(['text/html', 'http://r/', 'UA', 'viewer.example']);
  });
});

describe('HDR-04/05', () => {
  it('X-Forwarded-For is the viewer IP, appended to what the viewer sent', () => {
    expect(fwd([])['x-forwarded-for']).toBe('192.0.2.235');
    expect(fwd(['X-Forwarded-For', '203.0.113.1, 198.51.100.2'])['x-forwarded-for']).toBe('203.0.113.1, 198.51.100.2, 192.0.2.235');
  });
  it('X-Amz-Cf-Id is the edge request id, whatever the viewer sent', () => {
    expect(fwd(['X-Amz-Cf-Id', 'spoofed'])['x-amz-cf-id']).toBe('CFID');
  });
});

describe('cookies (CK-01..04)', () => {
  const wl = cookieWhitelistMatcher(['userid_*', 'lang', 'a?c']);
  it('none forwards nothing', () => expect(forwardedCookies('a=1', 'none', wl)).toEqual([]));
  it('all forwards every cookie, sorted by name, attributes dropped', () => {
    expect(forwardedCookies('zeta=1; $Path=/; alpha=2; Beta=3', 'all', wl)).toEqual([
      ['Beta', '3'],
      ['alpha', '2'],
      ['zeta', '1'],
    ]);
  });
  it('whitelist with * and ? wildcards', () => {
    expect(forwardedCookies('userid_1=x; lang=en; abc=1; abbc=2; other=3; country=ata; $Path=', 'whitelist', wl)).toEqual([
      ['abc', '1'],
      ['lang', 'en'],
      ['userid_1', 'x'],
    ]);
  });
});

describe('RSP-01 response headers', () => {
  const raw = [
    'Content-Type',
    'text/plain',
    'Trailer',
    'X',
    'Upgrade',
    'h2c',
    'Via',
    '1.1 origin',
    'Transfer-Encoding',
    'chunked',
    'Vary',
    'Accept-Encoding, User-Agent',
    'Set-Cookie',
    'userid_1=a',
    'Set-Cookie',
    'other=b',
    'Connection',
    'keep-alive',
    'Content-Length',
    '5',
  ];
  const names = (pairs: [string, string][]) => pairs.map(([n]) => n);
  it('Trailer, Upgrade, Via, hop-by-hop and framing headers are not relayed; Vary is passed on', () => {
    const s = splitResponseHeaders(raw, 'none', () => false, new Set(), false);
    expect(names(s.viewer)).toEqual(['Content-Type', 'Vary']);
  });
  it('cookies none: Set-Cookie removed for viewer and cache', () => {
    const s = splitResponseHeaders(raw, 'none', () => false, new Set(), false);
    expect(names(s.stored)).not.toContain('Set-Cookie');
  });
  it('cookies whitelist: the viewer gets all, the cache keeps whitelisted ones', () => {
    const s = splitResponseHeaders(raw, 'whitelist', cookieWhitelistMatcher(['userid_*']), new Set(), false);
    expect(s.viewer.filter(([n]) => n === 'Set-Cookie').map(([, v]) => v)).toEqual(['userid_1=a', 'other=b']);
    expect(s.stored.filter(([n]) => n === 'Set-Cookie').map(([, v]) => v)).toEqual(['userid_1=a']);
  });
  it('cookies all: the cache keeps only cookies that were in the request; no-cache="Set-Cookie" keeps none', () => {
    const s = splitResponseHeaders(raw, 'all', () => false, new Set(['other']), false);
    expect(s.stored.filter(([n]) => n === 'Set-Cookie').map(([, v]) => v)).toEqual(['other=b']);
    const t = splitResponseHeaders(raw, 'all', () => false, new Set(['other']), true);
    expect(t.stored.filter(([n]) => n === 'Set-Cookie')).toEqual([]);
    expect(t.viewer.filter(([n]) => n === 'Set-Cookie').length).toBe(2);
  });
});
