// node-media-server 4.4.3 refuses the two-level app `cfx/st` (FIELD-NOTES §3). Our adapter rewrites
// it in one place (src/ingest/nms-adapter.ts). This test publishes and plays through it for real,
// so an NMS upgrade that breaks the adaptation fails here (SPEC RTMP-10/11).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { startIngest, type IngestHandle } from '../../src/ingest/index.js';
import { installNmsProtocolPatches } from '../../src/ingest/nms-adapter.js';
import { silentLogger } from '../../src/log.js';
import { LiveRegistry } from '../../src/streams/registry.js';
import { ffprobe, syntheticFlv } from '../helpers/media.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';

let ingest: IngestHandle;
let pub: Publisher | undefined;
const registry = new LiveRegistry();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-cfx-'));

beforeAll(async () => {
  await syntheticFlv();
  ingest = await startIngest({
    config: defaultConfig({ host: '127.0.0.1', rtmpPort: 0, dataDir, ingest: { idleTimeoutSeconds: 2 } }),
    registry,
    log: silentLogger(),
  });
});

afterAll(async () => {
  await pub?.stop();
  await ingest?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it('the patch installs on this node-media-server version and is idempotent', () => {
  expect(() => installNmsProtocolPatches()).not.toThrow();
  expect(() => installNmsProtocolPatches()).not.toThrow();
});

it('publishes to rtmp://host/cfx/st/<stream> as the stream cfx/st/<stream>', async () => {
  const seen: string[] = [];
  registry.on('publish', (s) => seen.push(`${s.key.app}|${s.key.name}`));
  pub = await startPublisher(`rtmp://127.0.0.1:${ingest.port}/cfx/st/adapted`);
  const t0 = Date.now();
  while (!registry.get({ app: 'cfx/st', name: 'adapted' })?.video && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
  expect(seen).toEqual(['cfx/st|adapted']);
  expect(pub.proc.exitCode).toBeNull();
});

it('plays it back at the same path', async () => {
  const probe = await ffprobe(`rtmp://127.0.0.1:${ingest.port}/cfx/st/adapted`, ['-rw_timeout', '8000000']);
  expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 320, height: 180 });
});

it('the publisher socket closing removes the stream at once, not 30 s later (FIELD-NOTES N3)', async () => {
  await pub!.stop();
  const t0 = Date.now();
  while (registry.get({ app: 'cfx/st', name: 'adapted' }) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
  expect(registry.get({ app: 'cfx/st', name: 'adapted' })).toBeUndefined();
  expect(Date.now() - t0).toBeLessThan(2000);
});

it('disconnects a publisher that stops sending (idle watchdog, FIELD-NOTES N4)', async () => {
  const key = { app: 'live', name: 'stalled' };
  const stalled = await startPublisher(`rtmp://127.0.0.1:${ingest.port}/live/stalled`);
  try {
    const t0 = Date.now();
    while (!registry.get(key)?.video && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    expect(registry.get(key)).toBeDefined();
    stalled.proc.kill('SIGSTOP'); // the TCP connection stays open, no bytes arrive
    const stoppedAt = Date.now();
    while (registry.get(key) && Date.now() - stoppedAt < 10_000) await new Promise((r) => setTimeout(r, 100));
    expect(registry.get(key)).toBeUndefined();
    const took = Date.now() - stoppedAt;
    expect(took).toBeGreaterThanOrEqual(1500);
    expect(took).toBeLessThan(6000);
  } finally {
    stalled.proc.kill('SIGCONT');
    stalled.proc.kill('SIGKILL');
    await stalled.exited;
  }
});

it('closes a connection that never publishes or plays (no handshake timeout in NMS, FIELD-NOTES N4)', async () => {
  const socket = net.connect(ingest.port, '127.0.0.1');
  const t0 = Date.now();
  const closedAfter = await new Promise<number>((resolve) => {
    socket.on('error', () => {});
    socket.once('close', () => resolve(Date.now() - t0));
    setTimeout(() => resolve(-1), 8000).unref();
  });
  socket.destroy();
  expect(closedAfter).toBeGreaterThanOrEqual(1500);
  expect(closedAfter).toBeLessThan(5000);
});
