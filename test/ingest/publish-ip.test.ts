// Integration: the publish IP allow-list (SPEC 2.1 "authentication"): a publisher from outside the
// list is cut off before anything is written, and the log says why.
import fs from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { startIngest, type IngestHandle } from '../../src/ingest/index.js';
import { LiveRegistry } from '../../src/streams/registry.js';
import { streamsRoot } from '../../src/timeline/output-layout.js';
import { captureLog } from '../helpers/log-capture.js';
import { syntheticFlv } from '../helpers/media.js';
import { startPublisher } from '../helpers/publisher.js';
import os from 'node:os';
import path from 'node:path';

let ingest: IngestHandle;
const { log, records: lines } = captureLog();
const registry = new LiveRegistry();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-ip-'));

beforeAll(async () => {
  await syntheticFlv();
  const config = defaultConfig({
    host: '127.0.0.1',
    rtmpPort: 0,
    dataDir,
    ingest: { publishAllow: ['10.0.0.0/8', '::ffff:192.168.0.0/112'] },
  });
  ingest = await startIngest({ config, registry, log });
});

afterAll(async () => {
  await ingest?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it('refuses a publisher from outside the allow-list, logs why, registers nothing', async () => {
  const published: unknown[] = [];
  registry.on('publish', (s) => published.push(s));
  const p = await startPublisher(`rtmp://127.0.0.1:${ingest.port}/live/blocked`);
  const code = await Promise.race([p.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
  expect(code).not.toBe('timeout');
  expect(code).not.toBe(0);
  expect(published).toEqual([]);
  const refusal = lines.find((l) => l.msg === 'publish refused');
  expect(refusal).toMatchObject({
    role: 'ingest',
    app: 'live',
    name: 'blocked',
    reason: 'address 127.0.0.1 is not in the publish allow-list',
  });
  expect(fs.existsSync(streamsRoot(dataDir))).toBe(false);
});

it('a bad allow-list entry fails start-up with a clear error', async () => {
  const config = defaultConfig({ rtmpPort: 0, dataDir, ingest: { publishAllow: ['10.0.0.0/99'] } });
  await expect(startIngest({ config, registry, log: pino({ level: 'silent' }) })).rejects.toThrow(
    'invalid publish allow-list entry "10.0.0.0/99"',
  );
});

it('a busy RTMP port fails with a clear error instead of exiting the process (FIELD-NOTES N5)', async () => {
  const config = defaultConfig({ host: '127.0.0.1', rtmpPort: ingest.port, dataDir });
  await expect(startIngest({ config, registry, log: pino({ level: 'silent' }) })).rejects.toThrow(
    `RTMP port 127.0.0.1:${ingest.port} is already in use`,
  );
});
