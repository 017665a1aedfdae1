// Bad input on the RTMP port: the server must stay up and a live stream must stay
// intact after each kind of garbage. The server runs as a child process so that a crash shows
// up as an exit (and the next test gets a fresh server) instead of killing the test runner.
// Random inputs come from a seeded generator: the seed is printed when a test fails.
import { readdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { syntheticFlv, ffprobe, type FixtureOptions } from '../helpers/media.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { createRandom, seedHint } from '../helpers/random.js';
import { expectAdvancing, fetchPlaylist, waitForSegments, waitForSeqBeyond, segmentUrl } from '../helpers/hls-live.js';
import { openFdCount, rssBytes } from '../helpers/proc.js';
import {
  chunkMessage,
  connectCommand,
  connectedSession,
  createStreamCommand,
  handshake,
  MSG,
  playCommand,
  publishCommand,
  rawConnect,
  setChunkSizeMessage,
  amf0Command,
  HANDSHAKE_SIZE,
  type RawConn,
} from '../helpers/rtmp-raw.js';

const rnd = createRandom();
const LIVE = 'steady';
/** The stream that must stay intact: 640x360 at 48 kHz. */
const MAIN_FIXTURE: FixtureOptions = {
  width: 640,
  height: 360,
  fps: 25,
  gopSeconds: 1,
  seconds: 10,
  videoKbps: 600,
  audioKbps: 96,
  sampleRate: 48000,
};
/** The refused intruder: another resolution and 44.1 kHz (FIELD-NOTES §7 N1). */
const INTRUDER_FIXTURE: FixtureOptions = {
  width: 320,
  height: 180,
  fps: 25,
  gopSeconds: 1,
  seconds: 10,
  videoKbps: 300,
  audioKbps: 64,
  sampleRate: 44100,
};

let srv: ServerProcess | undefined;
let pub: Publisher | undefined;
let restarts = 0;

const rtmpBase = (): string => `rtmp://127.0.0.1:${srv!.ports.rtmp}`;
const playlistUrl = (name = LIVE): string => `http://127.0.0.1:${srv!.ports.origin}/live/${name}/playlist.m3u8`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function bringUp(): Promise<void> {
  srv = await startServerProcess({ command: 'origin', logLevel: 'info' });
  pub = await startPublisher(`${rtmpBase()}/live/${LIVE}`, { fixture: MAIN_FIXTURE });
  await waitForSegments(playlistUrl(), 2, 30_000);
}

async function tearDown(): Promise<void> {
  await pub?.stop().catch(() => {});
  await srv?.cleanup();
  pub = undefined;
  srv = undefined;
}

/** The outcome every bad-input case must leave behind. */
async function assertHealthy(after: string): Promise<void> {
  if (!srv!.running()) {
    throw new Error(
      `server process exited after ${after}: ${JSON.stringify(srv!.exit())}\n--- server output (tail) ---\n${srv!.output().slice(-3000)}`,
    );
  }
  expect(pub!.proc.exitCode, `live publisher was disconnected after ${after}: ${pub!.stderr()}`).toBeNull();
  await expectAdvancing(playlistUrl(), 8000);
}

beforeAll(async () => {
  await syntheticFlv(MAIN_FIXTURE);
  await syntheticFlv(INTRUDER_FIXTURE);
  await bringUp();
}, 120_000);

afterAll(async () => {
  await tearDown();
});

beforeEach(async (ctx) => {
  ctx.onTestFailed(() => {
    console.error(`[bad-input-rtmp] ${seedHint(rnd.seed)}; server restarts so far: ${restarts}`);
  });
  // A previous case crashed the server: give this case a fresh one so it is judged on its own.
  if (!srv?.running()) {
    restarts++;
    await tearDown();
    await bringUp();
  }
});

async function sendAndHang(conn: RawConn, bytes: Buffer, holdMs = 300): Promise<void> {
  await conn.write(bytes);
  await sleep(holdMs);
  conn.destroy();
}

describe('RTMP bad input (server child process, live stream must stay intact)', () => {
  it('a refused second publisher with another resolution and sample rate leaves the live stream intact (N1)', async () => {
    const before = await fetchPlaylist(playlistUrl());
    const intruder = await startPublisher(`${rtmpBase()}/live/${LIVE}`, { fixture: INTRUDER_FIXTURE });
    const code = await Promise.race([intruder.exited, sleep(15_000).then(() => 'still running' as const)]);
    if (code === 'still running') await intruder.stop();
    expect(code, `the duplicate publisher was not refused: ${intruder.stderr()}`).not.toBe('still running');
    expect(code).not.toBe(0);

    // A NEW RTMP viewer (fresh GOP cache and sequence headers) still gets the original media.
    const probe = await ffprobe(`${rtmpBase()}/live/${LIVE}`, ['-rw_timeout', '10000000']);
    const v = probe.streams.find((s) => s.codec_type === 'video');
    const a = probe.streams.find((s) => s.codec_type === 'audio');
    expect({ width: v?.width, height: v?.height, sampleRate: a?.sample_rate }).toEqual({ width: 640, height: 360, sampleRate: '48000' });

    // And a segment packaged after the refusal decodes as the original too.
    const after = await waitForSeqBeyond(playlistUrl(), before.playlist!.lastSeq + 1, 10_000);
    const seg = after.segments.at(-1)!;
    const res = await fetch(segmentUrl(playlistUrl(), seg.uri));
    expect(res.status).toBe(200);
    const file = path.join(os.tmpdir(), `sf-n1-${process.pid}-${seg.seq}.ts`);
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    const segProbe = await ffprobe(file).finally(() => rm(file, { force: true }));
    const sv = segProbe.streams.find((s) => s.codec_type === 'video');
    const sa = segProbe.streams.find((s) => s.codec_type === 'audio');
    expect({ width: sv?.width, height: sv?.height, sampleRate: sa?.sample_rate }).toEqual({ width: 640, height: 360, sampleRate: '48000' });
    await assertHealthy('a refused duplicate publisher');
  });

  it('random bytes instead of a handshake, and after a valid one', async () => {
    for (let i = 0; i < 20; i++) {
      const conn = await rawConnect(srv!.ports.rtmp);
      await sendAndHang(conn, rnd.bytes(rnd.int(1, 64 * 1024)), 50);
    }
    for (let i = 0; i < 10; i++) {
      const conn = await rawConnect(srv!.ports.rtmp);
      await handshake(conn);
      await sendAndHang(conn, rnd.bytes(rnd.int(1, 64 * 1024)), 100);
    }
    await assertHealthy('random bytes');
  });

  it('truncated and odd handshakes', async () => {
    const c1 = rnd.bytes(HANDSHAKE_SIZE);
    const cases: Array<[string, Buffer]> = [
      ['C0 only', Buffer.from([0x03])],
      ['C0 + half of C1', Buffer.concat([Buffer.from([0x03]), c1.subarray(0, 700)])],
      ['C0 + C1, no C2', Buffer.concat([Buffer.from([0x03]), c1])],
      ['encrypted-RTMP version byte', Buffer.concat([Buffer.from([0x06]), c1])],
      ['version 0xff', Buffer.concat([Buffer.from([0xff]), c1])],
    ];
    const held: RawConn[] = [];
    for (const [, bytes] of cases) {
      const conn = await rawConnect(srv!.ports.rtmp);
      await conn.write(bytes);
      held.push(conn);
    }
    // C2 cut in half, then the connection is left hanging.
    const half = await rawConnect(srv!.ports.rtmp);
    await half.write(Buffer.concat([Buffer.from([0x03]), c1]));
    await half.readAtLeast(1 + 2 * HANDSHAKE_SIZE);
    await half.write(c1.subarray(0, 500));
    held.push(half);
    await assertHealthy(`truncated handshakes (${cases.map((c) => c[0]).join(', ')}, half C2) while held open`);
    for (const c of held) c.destroy();
    await assertHealthy('truncated handshakes after close');
  });

  it('oversized chunk sizes and message lengths', async () => {
    const rssBefore = rssBytes(srv!.pid) ?? 0;
    for (const size of [0x7fffffff, 0xffffffff, 0, 1]) {
      const conn = await connectedSession(srv!.ports.rtmp);
      await conn.write(setChunkSizeMessage(size));
      // A command message claiming 16 MiB, followed by 1 MiB of junk and a hang-up.
      const header = chunkMessage({ csid: 3, type: MSG.command, payload: Buffer.alloc(0), declaredLength: 0xffffff });
      await conn.write(header);
      await sendAndHang(conn, rnd.bytes(1024 * 1024), 200);
    }
    // Many chunk streams, each declaring a 16 MiB message and sending one byte of it (chunk
    // size 1): a parser that allocates the declared length up front is asked for 60 × 16 MiB.
    const conn = await connectedSession(srv!.ports.rtmp);
    await conn.write(setChunkSizeMessage(1));
    const parts: Buffer[] = [];
    for (let csid = 4; csid < 64; csid++) {
      const h = Buffer.alloc(12);
      h[0] = csid;
      h.writeUIntBE(0xffffff, 4, 3);
      h[7] = MSG.video;
      h.writeUInt32LE(1, 8);
      parts.push(h, Buffer.from([0x17]));
    }
    await conn.write(Buffer.concat(parts));
    await sleep(500);
    const rssHeld = rssBytes(srv!.pid) ?? 0;
    conn.destroy();
    console.info(
      `[bad-input-rtmp] 60 chunk streams declaring 16 MiB each: server RSS change while held ${((rssHeld - rssBefore) / 1048576).toFixed(1)} MiB`,
    );
    await assertHealthy('oversized chunk sizes and message lengths');
    expect(
      rssHeld - rssBefore,
      `server RSS grew by ${((rssHeld - rssBefore) / 1048576).toFixed(0)} MiB for a few KiB of input`,
    ).toBeLessThan(256 * 1024 * 1024);
  });

  it('malformed commands: bad or missing tcUrl, null and numeric stream names', async () => {
    const cases: Array<[string, (c: RawConn) => Promise<void>]> = [
      ['connect with tcUrl "not a url"', (c) => c.write(connectCommand('live', 'not a url'))],
      ['connect without tcUrl', (c) => c.write(connectCommand('live', undefined))],
      [
        'connect with a numeric app',
        (c) =>
          c.write(
            chunkMessage({ csid: 3, type: MSG.command, payload: amf0Command('connect', 1, { app: 42, tcUrl: 'rtmp://127.0.0.1/live' }) }),
          ),
      ],
      [
        'publish with a null name',
        async (c) => {
          await c.write(connectCommand('live', 'rtmp://127.0.0.1/live'));
          await c.write(createStreamCommand());
          await c.write(publishCommand(null));
        },
      ],
      [
        'play with a numeric name',
        async (c) => {
          await c.write(connectCommand('live', 'rtmp://127.0.0.1/live'));
          await c.write(createStreamCommand());
          await c.write(playCommand(12345));
        },
      ],
      ['publish before connect', (c) => c.write(publishCommand('early'))],
      [
        'truncated AMF0 command',
        (c) => c.write(chunkMessage({ csid: 3, type: MSG.command, payload: amf0Command('connect', 1).subarray(0, 7) })),
      ],
    ];
    const failures: string[] = [];
    for (const [name, send] of cases) {
      if (!srv!.running()) break;
      const conn = await rawConnect(srv!.ports.rtmp);
      await handshake(conn);
      await send(conn);
      await sleep(300);
      conn.destroy();
      if (!srv!.running()) failures.push(`${name} crashed the server (${JSON.stringify(srv!.exit())}): ${srv!.output().slice(-1500)}`);
    }
    expect(failures).toEqual([]);
    await assertHealthy('malformed commands');
  });

  it('a thousand idle connections are held and released without hurting the live stream', async () => {
    const fdsBefore = openFdCount(srv!.pid) ?? 0;
    const conns: RawConn[] = [];
    for (let i = 0; i < 1000; i++) conns.push(await rawConnect(srv!.ports.rtmp));
    // 100 of them get as far as a finished handshake and then say nothing.
    await Promise.all(conns.slice(0, 100).map((c) => handshake(c)));
    await assertHealthy('1000 idle connections (held)');
    for (const c of conns) c.destroy();
    let fdsAfter = 0;
    for (let i = 0; i < 30; i++) {
      await sleep(200);
      fdsAfter = openFdCount(srv!.pid) ?? 0;
      if (fdsAfter <= fdsBefore + 10) break;
    }
    expect(fdsAfter, `server fds: ${fdsBefore} before, ${fdsAfter} after closing 1000 connections`).toBeLessThanOrEqual(fdsBefore + 10);
    await assertHealthy('1000 idle connections (closed)');
  });

  it('publishing with invalid names is refused and writes nothing outside the data dir', async () => {
    const names: Array<[string, string]> = [
      ['live', '../x'],
      ['live', 'a%2F..'],
      ['live', '..'],
      ['live', 'x/../../y'],
      ['live', '%2e%2e%2fz'],
      ['live', 'a'.repeat(10_000)],
      ['live', ''],
      ['live', 'nul\u0000byte'],
      ['live', 'sp ace'],
      ['live', 'ünï'],
      ['../../evil', 'x'],
      ['live/../..', 'x'],
      ['api', 'x'],
    ];
    const outsideBefore = readdirSync(srv!.workDir).sort();
    const kept: string[] = [];
    for (const [app, name] of names) {
      const conn = await rawConnect(srv!.ports.rtmp);
      await handshake(conn);
      await conn.write(connectCommand(app, `rtmp://127.0.0.1:${srv!.ports.rtmp}/${app}`));
      await conn.write(createStreamCommand());
      await conn.write(publishCommand(name));
      // Send a little FLV-ish video so a wrongly accepted publish would start packaging.
      await conn.write(
        chunkMessage({ csid: 6, type: MSG.video, streamId: 1, payload: Buffer.from([0x17, 0x00, 0, 0, 0, 1, 0x64, 0, 0x1f]) }),
      );
      const closed = await conn.closedWithin(5000);
      if (!closed) kept.push(`${app}/${name.slice(0, 40)}`);
      conn.destroy();
    }
    expect(kept, 'publishes with invalid names that were not disconnected').toEqual([]);
    expect(readdirSync(srv!.workDir).sort()).toEqual(outsideBefore);
    const api = (await (await fetch(`http://127.0.0.1:${srv!.ports.origin}/api/streams`)).json()) as { streams: Array<{ id: string }> };
    const ids = api.streams.map((s) => s.id);
    expect(ids).toContain(`live/${LIVE}`);
    for (const id of ids) expect(id, 'a stream with an invalid name is listed as live').toMatch(/^live\/[A-Za-z0-9_-]{1,128}$/);
    await assertHealthy('publishes with invalid names');
  });

  it('publish and play with 64 KiB query strings', async () => {
    const q = `k=${rnd.string(64 * 1024)}`;
    // Publish a new stream with a huge query: refused or accepted, the server must not fall over.
    const p = await rawConnect(srv!.ports.rtmp);
    await handshake(p);
    await p.write(connectCommand('live', `rtmp://127.0.0.1:${srv!.ports.rtmp}/live?${q}`));
    await p.write(createStreamCommand());
    await p.write(publishCommand(`bigq?${q}`));
    await sleep(500);
    p.destroy();
    // Play the live stream with a huge query.
    const v = await rawConnect(srv!.ports.rtmp);
    await handshake(v);
    await v.write(connectCommand('live', `rtmp://127.0.0.1:${srv!.ports.rtmp}/live`));
    await v.write(createStreamCommand());
    await v.write(playCommand(`${LIVE}?${q}`));
    await sleep(1000);
    v.destroy();
    await assertHealthy('64 KiB query strings');
  });

  it('seeded fuzz: random chunk messages after a valid connect', async () => {
    const types = [1, 2, 3, 4, 5, 6, 8, 9, 15, 17, 18, 19, 20, 22, 0, 255];
    let round = 0;
    let lastInput = '';
    for (; round < 40; round++) {
      const msgs: Buffer[] = [];
      for (let i = rnd.int(1, 8); i > 0; i--) {
        const payload =
          rnd.next() < 0.5
            ? rnd.bytes(rnd.int(0, 600))
            : amf0Command(
                rnd.pick(['connect', 'publish', 'play', 'createStream', 'deleteStream', 'FCPublish', '@setDataFrame']),
                rnd.int(0, 9),
                rnd.pick([null, 'x', 7, { a: 'b' }]),
                rnd.pick([null, 'x', 7, LIVE, '']),
              );
        msgs.push(
          chunkMessage({
            csid: rnd.int(2, 63),
            type: rnd.pick(types),
            streamId: rnd.int(0, 2),
            payload,
            ...(rnd.next() < 0.2 ? { declaredLength: rnd.int(0, 0xffffff) } : {}),
          }),
        );
      }
      const input = Buffer.concat(msgs);
      lastInput = input.subarray(0, 200).toString('hex');
      try {
        const conn = await connectedSession(srv!.ports.rtmp);
        await sendAndHang(conn, input, 30);
      } catch {
        /* the server may refuse or reset a session: fine, judged below */
      }
      await sleep(20);
      if (!srv!.running()) break;
    }
    if (!srv!.running()) {
      throw new Error(
        `fuzz round ${round} crashed the server (${seedHint(rnd.seed)}); input starts ${lastInput}\n${srv!.output().slice(-2500)}`,
      );
    }
    await assertHealthy(`40 rounds of fuzz (${seedHint(rnd.seed)})`);
  });
});
