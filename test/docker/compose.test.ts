// docker/compose.yaml: an origin service and an edge service pointing at http://origin:8080,
// with a publish secret required by default (an image on a public address must not be open to publishers), parsed with the `yaml` package.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPTIONS, parseArgs } from '../../src/config/load.js';
import { COMPOSE_FILE, interpolateAll, readCompose } from './yaml-files.js';

const compose = readCompose();
const knownEnv = new Set([...OPTIONS.map((o) => o.env), 'STREAMFRONT_HEALTH_URL']);

describe('docker/compose.yaml', () => {
  it('has exactly the origin and edge services, built from docker/Dockerfile at the repository root', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['edge', 'origin']);
    for (const s of Object.values<any>(compose.services)) {
      const context = path.resolve(path.dirname(COMPOSE_FILE), s.build.context);
      expect(existsSync(path.join(context, s.build.dockerfile))).toBe(true);
      expect(existsSync(path.join(context, 'package.json'))).toBe(true);
      expect(s.image).toMatch(/streamfront/);
    }
  });

  it('origin: `node dist/cli.js origin`, RTMP 1935 and HTTP 8080, data on a named volume', () => {
    const o = compose.services.origin;
    expect(o.command).toEqual(['node', 'dist/cli.js', 'origin']);
    expect(o.ports).toEqual(expect.arrayContaining(['1935:1935', '8080:8080']));
    expect(o.volumes).toContain('origin-data:/data');
    expect(o.environment.STREAMFRONT_DATA_DIR).toBe('/data');
    expect(compose.volumes).toHaveProperty('origin-data');
  });

  it('edge: the emulator alone in front of http://origin:8080, on the host port 80, after the origin is healthy', () => {
    const e = compose.services.edge;
    expect(e.command).toEqual(['node', 'dist/cli.js', 'edge', '--origin', 'http://origin:8080']);
    expect(e.ports).toEqual(['80:8000', '443:8443']);
    expect(e.depends_on.origin.condition).toBe('service_healthy');
  });

  it('the commands are ones the CLI accepts', () => {
    for (const s of Object.values<any>(compose.services)) {
      const [, , ...argv] = s.command as string[];
      expect(() => parseArgs(argv)).not.toThrow();
      expect(['origin', 'edge', 'start']).toContain(parseArgs(argv).positionals[0]);
    }
    expect(parseArgs(compose.services.edge.command.slice(2)).overrides).toEqual({ edge: { origin: 'http://origin:8080' } });
  });

  it('requires a publish secret: interpolation fails without one and passes it through with one', () => {
    expect(compose.services.origin.environment.STREAMFRONT_PUBLISH_SECRET).toMatch(/^\$\{STREAMFRONT_PUBLISH_SECRET:\?[^}]+\}$/);
    expect(() => interpolateAll(compose, {})).toThrow(/STREAMFRONT_PUBLISH_SECRET/);
    expect(() => interpolateAll(compose, { STREAMFRONT_PUBLISH_SECRET: '' })).toThrow(/STREAMFRONT_PUBLISH_SECRET/);
    const resolved = interpolateAll(compose, { STREAMFRONT_PUBLISH_SECRET: 's3cret-s3cret-s3cret' });
    expect(resolved.services.origin.environment.STREAMFRONT_PUBLISH_SECRET).toBe('s3cret-s3cret-s3cret');
    expect(resolved.services.origin.image).toBe('streamfront:latest');
  });

  it('sets only environment variables that streamfront reads, and listens beyond loopback', () => {
    for (const s of Object.values<any>(compose.services)) {
      for (const k of Object.keys(s.environment)) expect(knownEnv, k).toContain(k);
      expect(s.environment.STREAMFRONT_HOST).toBe('0.0.0.0');
    }
  });
});
