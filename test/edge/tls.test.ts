// SPEC TLS-02 certificate rules: SNI selection, what a kept self-signed certificate must cover,
// key/certificate pairing, and the header rules of the HTTP/2 response adapter.
import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateCovers, checkIdentity, selfSignedIdentity, selfSignedNames, sniSelector } from '../../src/edge/tls.js';
import { http2Host, http2ResponseHeaders } from '../../src/edge/https-listener.js';

describe('sniSelector', () => {
  const select = sniSelector([
    { hosts: ['a.example.com', '*.example.com'] },
    { hosts: ['*.media.example.com', 'B.example.org'] },
    { hosts: ['a.example.com'] },
  ]);
  it.each([
    ['a.example.com', 0],
    ['A.EXAMPLE.COM.', 0],
    ['x.example.com', 0],
    ['x.media.example.com', 1], // the longer wildcard wins
    ['b.example.org', 1],
    ['example.com', -1], // `*.` needs one label
    ['x.y.example.org', -1],
    ['deep.x.example.com', -1], // `*.` covers exactly one label
    ['', -1],
  ])('%s → %i', (name, want) => expect(select(name)).toBe(want));
});

describe('self-signed certificate', () => {
  it('covers localhost, 127.0.0.1, ::1 and the distribution names; is kept while it does; is replaced when a name is new', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamfront-tls-'));
    try {
      const names = selfSignedNames(['d111111abcdef8.cloudfront.net']);
      expect(names).toEqual(['localhost', '127.0.0.1', '::1', 'd111111abcdef8.cloudfront.net']);
      const a = await selfSignedIdentity(dir, names);
      expect(a.created).toBe(true);
      const x509 = new X509Certificate(a.identity.cert);
      expect(certificateCovers(x509, names)).toBe(true);
      expect(certificateCovers(x509, ['other.example'])).toBe(false);
      expect(certificateCovers(x509, names, Date.parse(x509.validTo) - 3600_000)).toBe(false); // about to expire
      expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048); // TLS-02
      const b = await selfSignedIdentity(dir, names);
      expect(b.created).toBe(false);
      expect(b.identity.cert).toBe(a.identity.cert);
      const c = await selfSignedIdentity(dir, [...names, 'd2222222abcdef8.cloudfront.net']);
      expect(c.created).toBe(true);
      // A damaged kept file is replaced rather than served.
      writeFileSync(c.certFile, 'garbage');
      expect((await selfSignedIdentity(dir, names)).created).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checkIdentity names the field that is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamfront-tls-'));
    try {
      const one = await selfSignedIdentity(join(dir, 'a'), ['localhost']);
      const two = await selfSignedIdentity(join(dir, 'b'), ['localhost']);
      expect(checkIdentity('edge.tls', one.identity).ok).toBe(true);
      expect(checkIdentity('edge.tls', { cert: one.identity.cert, key: two.identity.key })).toEqual({
        ok: false,
        reason: 'edge.tls.key does not belong to edge.tls.cert',
      });
      expect(checkIdentity('edge.tls', { cert: 'nope', key: one.identity.key })).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^edge\.tls\.cert: not a PEM certificate/),
      });
      expect(checkIdentity('edge.tls', { cert: one.identity.cert, key: 'nope' })).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^edge\.tls\.key: not an unencrypted PEM private key/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Host of an HTTP/2 request (RFC 9113 §8.3.1)', () => {
  it.each([
    ['a.example:8443', undefined, { host: 'a.example:8443' }],
    ['a.example:8443', 'A.example:8443', { host: 'a.example:8443' }],
    ['a.example:8443', 'b.example', undefined],
    [undefined, 'b.example', { host: 'b.example' }],
    [undefined, undefined, { host: undefined }],
  ])(':authority %j, Host %j → %j', (authority, host, want) => expect(http2Host(authority, host)).toEqual(want));
});

describe('HTTP/2 response headers (RFC 9113 §8.2.2)', () => {
  it('drops connection-specific fields, keeps repeated fields, lower-cases names', () => {
    expect(
      http2ResponseHeaders([
        'Content-Type',
        'text/plain',
        'Connection',
        'close',
        'Keep-Alive',
        'timeout=5',
        'Transfer-Encoding',
        'chunked',
        'Set-Cookie',
        'a=1',
        'Set-Cookie',
        'b=2',
        'Upgrade',
        'h2c',
        'Proxy-Connection',
        'x',
      ]),
    ).toEqual({ 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
    expect(http2ResponseHeaders({ 'Content-Type': 'text/xml', Connection: 'close', 'X-A': ['1', '2'], 'X-U': undefined })).toEqual({
      'content-type': 'text/xml',
      'x-a': ['1', '2'],
    });
    expect(http2ResponseHeaders(['TE', 'trailers', 'TE', 'gzip'])).toEqual({ te: 'trailers' });
  });
});
