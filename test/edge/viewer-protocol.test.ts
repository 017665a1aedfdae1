// SPEC TLS-01 as a table: policy × scheme × method → serve, 301 Location, or 403.
import { describe, expect, it } from 'vitest';
import { hostNameOf, viewerProtocolDecision, viewerSchemeOf, type ViewerProtocolInput } from '../../src/edge/viewer-protocol.js';

const base: ViewerProtocolInput = {
  policy: 'allow-all',
  scheme: 'http',
  method: 'GET',
  host: 'cdn.example.com',
  domainName: 'd111111abcdef8.cloudfront.net',
  pathAndQuery: '/a/b.m3u8?x=1',
  httpsPort: 8443,
};
const decide = (over: Partial<ViewerProtocolInput>) => viewerProtocolDecision({ ...base, ...over });

describe('TLS-01 decision table', () => {
  const rows: [Partial<ViewerProtocolInput>, ReturnType<typeof viewerProtocolDecision>][] = [
    [{ policy: 'allow-all', scheme: 'http' }, { kind: 'serve' }],
    [{ policy: 'allow-all', scheme: 'https', method: 'POST' }, { kind: 'serve' }],
    [{ policy: 'redirect-to-https', scheme: 'https' }, { kind: 'serve' }],
    [{ policy: 'https-only', scheme: 'https', method: 'DELETE' }, { kind: 'serve' }],
    [{ policy: 'redirect-to-https' }, { kind: 'redirect', location: 'https://cdn.example.com:8443/a/b.m3u8?x=1' }],
    [
      { policy: 'redirect-to-https', method: 'HEAD' },
      { kind: 'redirect', location: 'https://cdn.example.com:8443/a/b.m3u8?x=1' },
    ],
    [
      { policy: 'redirect-to-https', httpsPort: 443 },
      { kind: 'redirect', location: 'https://cdn.example.com/a/b.m3u8?x=1' },
    ],
    [
      { policy: 'redirect-to-https', httpsPort: 0 },
      { kind: 'redirect', location: 'https://cdn.example.com/a/b.m3u8?x=1' },
    ],
    [
      { policy: 'redirect-to-https', host: 'cdn.example.com:8000' },
      { kind: 'redirect', location: 'https://cdn.example.com:8443/a/b.m3u8?x=1' },
    ],
    [
      { policy: 'redirect-to-https', host: '[::1]:8000' },
      { kind: 'redirect', location: 'https://[::1]:8443/a/b.m3u8?x=1' },
    ],
    [
      { policy: 'redirect-to-https', host: undefined },
      { kind: 'redirect', location: 'https://d111111abcdef8.cloudfront.net:8443/a/b.m3u8?x=1' },
    ],
    // A Host that is not a host name cannot steer the redirect anywhere else.
    [
      { policy: 'redirect-to-https', host: 'evil.example/x' },
      { kind: 'redirect', location: 'https://d111111abcdef8.cloudfront.net:8443/a/b.m3u8?x=1' },
    ],
    [
      { policy: 'redirect-to-https', host: 'a@evil.example' },
      { kind: 'redirect', location: 'https://d111111abcdef8.cloudfront.net:8443/a/b.m3u8?x=1' },
    ],
    [
      { policy: 'redirect-to-https', pathAndQuery: '//evil.example/p' },
      { kind: 'redirect', location: 'https://cdn.example.com:8443//evil.example/p' },
    ],
  ];
  it.each(rows)('%o → %o', (over, want) => expect(decide(over)).toEqual(want));

  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])('redirect-to-https: %s over HTTP → 403', (method) => {
    expect(decide({ policy: 'redirect-to-https', method }).kind).toBe('forbid');
  });
  it.each(['GET', 'HEAD', 'POST'])('https-only: %s over HTTP → 403', (method) => {
    expect(decide({ policy: 'https-only', method }).kind).toBe('forbid');
  });
});

describe('viewer scheme and Host names', () => {
  it('the scheme is the socket’s', () => {
    expect(viewerSchemeOf({ socket: { encrypted: true } })).toBe('https');
    expect(viewerSchemeOf({ socket: {} })).toBe('http');
    expect(viewerSchemeOf({ socket: null })).toBe('http');
  });
  it.each([
    ['example.com', 'example.com'],
    ['EXAMPLE.com:80', 'example.com'],
    ['127.0.0.1:8000', '127.0.0.1'],
    ['[2001:db8::1]:8000', '[2001:db8::1]'],
    ['', undefined],
    ['a b', undefined],
    ['x.com:99999999', undefined],
    ['x.com\r\nSet-Cookie: a=1', undefined],
  ])('%j → %j', (host, want) => expect(hostNameOf(host)).toBe(want));
});
