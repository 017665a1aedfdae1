// The HTTPS and origin-protocol keys of the configuration: defaults, flag/env, and bad values.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { defaultConfig } from '../../src/config/index.js';

const originOf = (o: Record<string, unknown>) =>
  defaultConfig({ edge: { distributions: [{ origins: [{ id: 'o', ...o }] }] } }).edge.distributions[0]!.origins[0]!;

describe('edgeHttpsPort', () => {
  it('defaults to 8443; --edge-https-port beats STREAMFRONT_EDGE_HTTPS_PORT; 0 is accepted (HTTPS off)', () => {
    expect(loadConfig([], {}).config.edgeHttpsPort).toBe(8443);
    expect(loadConfig([], { STREAMFRONT_EDGE_HTTPS_PORT: '9443' }).config.edgeHttpsPort).toBe(9443);
    expect(loadConfig(['--edge-https-port', '0'], { STREAMFRONT_EDGE_HTTPS_PORT: '9443' }).config.edgeHttpsPort).toBe(0);
    expect(loadConfig(['--edge-https-port=10443'], {}).config.edgeHttpsPort).toBe(10443);
  });
  it('bad values are one line naming the flag or field', () => {
    expect(() => loadConfig(['--edge-https-port', 'x'], {})).toThrow(ConfigError);
    expect(() => loadConfig(['--edge-https-port', 'x'], {})).toThrow(/--edge-https-port: expected an integer/);
    expect(() => loadConfig(['--edge-https-port', '70000'], {})).toThrow(/config: edgeHttpsPort:/);
  });
});

describe('edge.tls', () => {
  it('defaults to no files (self-signed) and no SNI entries', () => {
    expect(defaultConfig({}).edge.tls).toEqual({ sni: [] });
  });
  it('needs cert and key together; SNI hosts are names or leading *. wildcards', () => {
    expect(() => defaultConfig({ edge: { tls: { cert: '/a.pem' } } })).toThrow(/set both cert and key, or neither/);
    expect(() => defaultConfig({ edge: { tls: { sni: [{ hosts: ['a.*.example.com'], cert: '/a', key: '/b' }] } } })).toThrow(/hosts/);
    expect(() => defaultConfig({ edge: { tls: { sni: [{ hosts: [], cert: '/a', key: '/b' }] } } })).toThrow(/hosts/);
    expect(
      defaultConfig({ edge: { tls: { cert: '/a', key: '/b', sni: [{ hosts: ['*.example.com'], cert: '/c', key: '/d' }] } } }).edge.tls.sni
        .length,
    ).toBe(1);
  });
});

describe('origin protocol keys (SPEC ORG-04)', () => {
  it('https:// origins are accepted; tlsVerify is on by default; the policy defaults from the URL later', () => {
    const o = originOf({ url: 'https://origin.example:8443/base' });
    expect(o.tlsVerify).toBe(true);
    expect(o.originProtocolPolicy).toBeUndefined();
    expect(
      originOf({ url: 'http://o:1', originProtocolPolicy: 'match-viewer', httpPort: 8080, httpsPort: 8443, tlsVerify: false }),
    ).toMatchObject({
      originProtocolPolicy: 'match-viewer',
      httpPort: 8080,
      httpsPort: 8443,
      tlsVerify: false,
    });
  });
  it('rejects other schemes, policies and ports', () => {
    expect(() => originOf({ url: 'ftp://o/' })).toThrow(/http:\/\/ or https:\/\//);
    expect(() => originOf({ url: 'http://o/', originProtocolPolicy: 'sometimes' })).toThrow(/originProtocolPolicy/);
    expect(() => originOf({ url: 'http://o/', httpsPort: 0 })).toThrow(/httpsPort/);
  });
});
