import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseArgs } from '../../src/config/load.js';

describe('configuration loading', () => {
  it('has working defaults with no file, env or flags', () => {
    const { config } = loadConfig([], {});
    expect(config.host).toBe('127.0.0.1');
    expect(config.rtmpPort).toBe(1935);
    expect(config.originPort).toBe(8080);
    expect(config.edgePort).toBe(8000);
    // SPEC ORIGIN-01 defaults
    expect(config.origin.cacheControl).toMatchObject({
      HttpStreamingF4MMaxAge: 2,
      HttpStreamingBootstrapMaxAge: 2,
      HttpStreamingFragMaxAge: 60,
      m3u8MaxAge: 2,
      tsMaxAge: 60,
    });
    expect(config.ingest.publishSecret).toBeUndefined();
  });

  it('applies flags over env over file', () => {
    const { config } = loadConfig(['--rtmp-port', '19350', '--host=0.0.0.0'], {
      STREAMFRONT_RTMP_PORT: '2000',
      STREAMFRONT_ORIGIN_PORT: '9090',
      STREAMFRONT_PUBLISH_ALLOW: '10.0.0.0/8, 127.0.0.1',
    });
    expect(config.rtmpPort).toBe(19350);
    expect(config.host).toBe('0.0.0.0');
    expect(config.originPort).toBe(9090);
    expect(config.ingest.publishAllow).toEqual(['10.0.0.0/8', '127.0.0.1']);
  });

  it('rejects unknown flags and bad values with one line naming the problem', () => {
    expect(() => parseArgs(['--rtmp-prot', '1'])).toThrow(ConfigError);
    expect(() => parseArgs(['--rtmp-prot', '1'])).toThrow(/unknown flag --rtmp-prot/);
    expect(() => loadConfig(['--rtmp-port', 'abc'], {})).toThrow(/--rtmp-port: expected an integer/);
    expect(() => loadConfig(['--rtmp-port', '70000'], {})).toThrow(/config: rtmpPort:/);
    expect(() => loadConfig(['--config', '/nonexistent/x.json'], {})).toThrow(/cannot read/);
  });
});
