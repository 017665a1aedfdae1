// The live registry is exact under any sequence of connect/publish/play/media/close messages from
// many sessions: a seeded random sequence from the scripted client is run against a real ingest,
// and after every step the registry must equal a model of the rules (one connect; one publish or
// play per session; a valid app and name; one publisher per stream; media only from a publisher;
// a session that ends or is dropped takes its stream with it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { startIngest, type IngestHandle } from '../../src/ingest/index.js';
import { silentLogger } from '../../src/log.js';
import { LiveRegistry } from '../../src/streams/registry.js';
import { createRandom, seedHint } from '../helpers/random.js';
import {
  amf0Command,
  chunkMessage,
  createStreamCommand,
  handshake,
  MSG,
  playCommand,
  publishCommand,
  rawConnect,
  type Amf0,
  type RawConn,
} from '../helpers/rtmp-raw.js';
import { waitFor } from '../packager/stack.js';

const rnd = createRandom();
const registry = new LiveRegistry();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-exact-'));
let ingest: IngestHandle;

beforeAll(async () => {
  const config = defaultConfig({ host: '127.0.0.1', rtmpPort: 0, dataDir, ingest: { playWaitSeconds: 0, idleTimeoutSeconds: 120 } });
  ingest = await startIngest({ config, registry, log: silentLogger() });
});
afterAll(async () => {
  await ingest?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});
beforeEach((ctx) => {
  ctx.onTestFailed(() => console.error(`[registry-exactness] ${seedHint(rnd.seed)}`));
});

const APPS: Amf0[] = ['live', 'live', 'live', 'live', 'cfx/st', 'livepkgr', 42, ['live'], 'api', null];
const NAMES: Amf0[] = ['a', 'b', 'c', 'a', 'b', 'a', 'bad.name', '', null];
const VALID_APPS = new Set(['live', 'cfx/st', 'livepkgr']);
const validName = (n: Amf0) => typeof n === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(n);

interface ModelSession {
  conn: RawConn;
  dead: boolean;
  connected: boolean;
  app?: string | null;
  streamCommand: boolean;
  publishing?: string;
}

it('a seeded random sequence of 160 steps over up to 12 sessions keeps the registry equal to the model', async () => {
  const sessions: ModelSession[] = [];
  const live = new Map<string, ModelSession>();
  const kill = (s: ModelSession) => {
    if (s.dead) return;
    s.dead = true;
    if (s.publishing && live.get(s.publishing) === s) live.delete(s.publishing);
  };
  const audio = chunkMessage({ csid: 4, type: MSG.audio, streamId: 1, payload: Buffer.from([0xaf, 0x01, 1, 2, 3, 4]) });
  const log: string[] = [];
  let accepted = 0;
  for (let step = 0; step < 160; step++) {
    const open = sessions.filter((s) => !s.dead);
    const op =
      open.length === 0 || (open.length < 12 && rnd.next() < 0.2)
        ? 'open'
        : rnd.pick(['connect', 'publish', 'publish', 'play', 'media', 'close'] as const);
    if (op === 'open') {
      const conn = await rawConnect(ingest.port);
      await handshake(conn);
      const s: ModelSession = { conn, dead: false, connected: false, streamCommand: false };
      sessions.push(s);
      log.push(`#${sessions.length - 1} open`);
      // Most sessions connect at once, as clients do; the others try commands without a connect.
      if (rnd.next() < 0.8) {
        const app = rnd.pick(APPS);
        await conn.write(
          chunkMessage({
            csid: 3,
            type: MSG.command,
            payload: amf0Command('connect', 1, { app, tcUrl: `rtmp://127.0.0.1:${ingest.port}/x` }),
          }),
        );
        await conn.write(createStreamCommand());
        s.connected = true;
        s.app = typeof app === 'string' && VALID_APPS.has(app) ? app : null;
        log.push(`#${sessions.length - 1} connect ${JSON.stringify(app)}`);
      }
    } else {
      const s = rnd.pick(open);
      const id = sessions.indexOf(s);
      if (op === 'connect') {
        const app = rnd.pick(APPS);
        await s.conn.write(
          chunkMessage({
            csid: 3,
            type: MSG.command,
            payload: amf0Command('connect', 1, { app, tcUrl: `rtmp://127.0.0.1:${ingest.port}/x` }),
          }),
        );
        await s.conn.write(createStreamCommand());
        if (s.connected) kill(s);
        else {
          s.connected = true;
          s.app = typeof app === 'string' && VALID_APPS.has(app) ? app : null;
        }
        log.push(`#${id} connect ${JSON.stringify(app)}`);
      } else if (op === 'publish' || op === 'play') {
        const name = rnd.pick(NAMES);
        await s.conn.write(op === 'publish' ? publishCommand(name) : playCommand(name));
        if (!s.connected || s.streamCommand || !s.app || !validName(name)) kill(s);
        else if (op === 'publish') {
          const key = `${s.app}/${name as string}`;
          if (live.has(key)) kill(s);
          else {
            s.streamCommand = true;
            s.publishing = key;
            live.set(key, s);
            accepted++;
          }
        } else s.streamCommand = true;
        log.push(`#${id} ${op} ${JSON.stringify(name)}`);
      } else if (op === 'media') {
        await s.conn.write(audio);
        if (!s.publishing) kill(s);
        log.push(`#${id} media`);
      } else {
        s.conn.destroy();
        kill(s);
        log.push(`#${id} close`);
      }
    }
    const want = [...live.keys()].sort().join(' ');
    await waitFor(
      `registry = {${want}} after: ${log.slice(-6).join('; ')}`,
      () =>
        registry
          .list()
          .map((x) => `${x.key.app}/${x.key.name}`)
          .sort()
          .join(' ') === want,
      3000,
      5,
    );
    // The model's dropped sessions are closed by the server, not only forgotten.
    for (const d of sessions.filter((x) => x.dead))
      expect(await d.conn.closedWithin(2000), `session ${sessions.indexOf(d)} still open after: ${log.join('; ')}`).toBe(true);
  }
  // The sequence exercised what it is about: accepted publishes, and sessions that ended holding one.
  expect(accepted, log.join('; ')).toBeGreaterThanOrEqual(5);
  for (const s of sessions) s.conn.destroy();
  await waitFor('an empty registry once every session closed', () => registry.list().length === 0, 3000);
  await waitFor('no open RTMP connections', () => ingest.connections() === 0, 3000);
}, 120_000);
