// A non-loopback bind without a publish secret is warned about, naming --publish-secret.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { isLoopbackHost, publishExposureWarning, startIngest } from '../../src/ingest/index.js';
import { LiveRegistry } from '../../src/streams/registry.js';
import { captureLog } from '../helpers/log-capture.js';

describe('publishExposureWarning', () => {
  it.each([
    ['127.0.0.1', undefined, false],
    ['127.1.2.3', undefined, false],
    ['localhost', undefined, false],
    ['::1', undefined, false],
    ['[::1]', undefined, false],
    ['0.0.0.0', undefined, true],
    ['::', undefined, true],
    ['192.168.1.10', undefined, true],
    ['2001:db8::1', undefined, true],
    ['example.org', undefined, true],
    ['0.0.0.0', 'secret', false],
  ])('host %s, secret %s → warns: %s', (host, secret, warns) => {
    const w = publishExposureWarning(host, secret, 1935);
    expect(w !== undefined).toBe(warns);
    if (w) expect(w).toMatch(/--publish-secret/);
    if (w) expect(w).toMatch(/anyone who can reach port 1935 can publish/);
  });

  it('isLoopbackHost', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
  });

  it('startIngest logs it as a warning before anything listens', async () => {
    const { log, records: lines } = captureLog();
    // A bad allow-list entry stops start-up after the configuration is judged, so nothing binds 0.0.0.0.
    const config = defaultConfig({ host: '0.0.0.0', rtmpPort: 0, dataDir: '/nonexistent', ingest: { publishAllow: ['banana'] } });
    await expect(startIngest({ config, registry: new LiveRegistry(), log })).rejects.toThrow(/allow-list/);
    const warning = lines.find((l) => typeof l.msg === 'string' && /--publish-secret/.test(l.msg));
    expect(warning).toMatchObject({ level: 40, role: 'ingest', host: '0.0.0.0' });
  });
});
