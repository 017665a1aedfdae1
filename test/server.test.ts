// Start-up of the composed server: everything that can be checked is checked before anything
// listens, so a bad configuration never leaves a half-started server accepting publishers.
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loopbackFor } from '../src/config/index.js';
import { silentLogger } from '../src/log.js';
import { startServer } from '../src/server.js';
import { freePort } from './helpers/ports.js';
import { loopbackConfig } from './helpers/server-process.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-server-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function config(extra: Record<string, unknown>) {
  return loopbackConfig(dataDir, {
    originPort: await freePort(),
    edgePort: await freePort(),
    ...extra,
  });
}

describe('startServer', () => {
  it('refuses a bad edge configuration before any port listens', async () => {
    const cfg = await config({ edge: { distributions: [{ behaviors: [{ pathPattern: '/a/*', targetOriginId: 'nope' }] }] } });
    await expect(startServer({ config: cfg, log: silentLogger(), roles: { ingest: true, origin: true, edge: true } })).rejects.toThrow(
      /no origin with id "nope"/,
    );
    for (const port of [cfg.rtmpPort, cfg.originPort, cfg.edgePort]) expect(await isFree(port)).toBe(true);
  });

  it('refuses a signing key that does not parse before any port listens, naming the key', async () => {
    // Built without the schema (which would refuse it first): the start-up check still names the field.
    const cfg = await config({});
    cfg.edge.publicKeys = [{ id: 'K1', encodedKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }];
    await expect(startServer({ config: cfg, log: silentLogger(), roles: { ingest: true, origin: true, edge: true } })).rejects.toThrow(
      /^config: edge\.publicKeys\.0\.encodedKey: the PEM does not decode to a public key/,
    );
    for (const port of [cfg.rtmpPort, cfg.originPort, cfg.edgePort]) expect(await isFree(port)).toBe(true);
  });

  it('refuses a missing ffmpeg before the RTMP port listens', async () => {
    const cfg = await config({ packager: { ffmpegPath: '/nonexistent/ffmpeg' } });
    await expect(startServer({ config: cfg, log: silentLogger(), roles: { ingest: true, origin: true, edge: false } })).rejects.toThrow(
      /no working ffmpeg/,
    );
    expect(await isFree(cfg.rtmpPort)).toBe(true);
  });

  it('puts the edge in front of the origin on this machine by default', async () => {
    const cfg = await config({});
    const origin = await startServer({ config: cfg, log: silentLogger(), roles: { ingest: false, origin: true, edge: false } });
    const edge = await startServer({ config: cfg, log: silentLogger(), roles: { ingest: false, origin: false, edge: true } });
    try {
      const res = await fetch(`http://127.0.0.1:${edge.ports.edge}/healthz`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-cache')).toMatch(/from cloudfront$/);
    } finally {
      await edge.close();
      await origin.close();
    }
  });

  it('reaches wildcard binds over loopback', () => {
    expect(loopbackFor('0.0.0.0')).toBe('127.0.0.1');
    expect(loopbackFor('::')).toBe('[::1]');
    expect(loopbackFor('192.0.2.1')).toBe('192.0.2.1');
    expect(loopbackFor('fe80::1')).toBe('[fe80::1]');
  });
});
