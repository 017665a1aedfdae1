// The TS DVR archive's rules (pure, from a table) and its run against a directory store: finished
// segments older than the live edge leave the disk for the store, the window's tail leaves both,
// and the sweep deletes only the stream's earlier runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { LocalStore } from '../../src/storage/local-store.js';
import { UploadQueue } from '../../src/storage/upload-queue.js';
import {
  listedSegmentNames,
  planTsOffload,
  sourceFileIdentity,
  sourceFileMetadata,
  TsDvrArchive,
  type TsOffloadPlan,
} from '../../src/timeline/dvr-ts-archive.js';
import { sweepDvrRuns } from '../../src/timeline/dvr-sweep.js';
import { dvrPrefix, dvrRunOfKey, dvrStreamPrefix, HLS_FILES, isTsDvrRun, tsDvrRun } from '../../src/timeline/output-layout.js';

const seg = (n: number) => HLS_FILES.segment(n);
const rung = (r: string, n: number) => HLS_FILES.rungSegment(r, n);
const range = (a: number, b: number, f = seg) => Array.from({ length: b - a + 1 }, (_, i) => f(a + i));
const none: TsOffloadPlan = { upload: [], unlink: [], abandon: [], forget: [] };

describe('planTsOffload', () => {
  it.each<[string, Parameters<typeof planTsOffload>[0], Partial<TsOffloadPlan>]>([
    [
      'fewer segments than the live edge: nothing moves',
      { playlists: [range(0, 2)], onDisk: new Set(range(0, 2)), stored: new Set(), uploading: new Set(), liveEdge: 3, margin: 1 },
      {},
    ],
    [
      'older than the live edge and on disk: uploaded',
      { playlists: [range(0, 5)], onDisk: new Set(range(0, 5)), stored: new Set(), uploading: new Set(), liveEdge: 3, margin: 1 },
      { upload: range(0, 2) },
    ],
    [
      'already uploading: not offered twice',
      { playlists: [range(0, 5)], onDisk: new Set(range(0, 5)), stored: new Set(), uploading: new Set([seg(0)]), liveEdge: 3, margin: 1 },
      { upload: range(1, 2) },
    ],
    [
      'stored but still on disk: the local file goes',
      { playlists: [range(0, 5)], onDisk: new Set(range(0, 5)), stored: new Set([seg(0)]), uploading: new Set(), liveEdge: 3, margin: 1 },
      { upload: range(1, 2), unlink: [seg(0)] },
    ],
    [
      'left the window beyond the margin: deleted from the store',
      {
        playlists: [range(10, 15)],
        onDisk: new Set(range(13, 16)),
        stored: new Set(range(7, 12)),
        uploading: new Set(),
        liveEdge: 3,
        margin: 2,
      },
      { forget: [seg(7)] },
    ],
    [
      'an outage longer than the window: the oldest unstored files go and their uploads are abandoned',
      {
        playlists: [range(10, 15)],
        onDisk: new Set(range(6, 16)),
        stored: new Set(),
        uploading: new Set(range(6, 12)),
        liveEdge: 3,
        margin: 1,
      },
      { unlink: range(6, 8), abandon: range(6, 8) },
    ],
    [
      'a file newer than anything listed (being written) is left alone',
      { playlists: [range(0, 3)], onDisk: new Set(range(0, 4)), stored: new Set(), uploading: new Set(), liveEdge: 3, margin: 0 },
      { upload: [seg(0)] },
    ],
    [
      'rungs are numbered apart: each playlist governs only its own segments',
      {
        playlists: [range(5, 8, (n) => rung('480p', n)), range(0, 3, (n) => rung('source', n))],
        onDisk: new Set([...range(5, 8, (n) => rung('480p', n)), ...range(0, 3, (n) => rung('source', n))]),
        stored: new Set([rung('480p', 1), rung('source', 1)]),
        uploading: new Set(),
        liveEdge: 2,
        margin: 0,
      },
      { upload: [...range(5, 6, (n) => rung('480p', n)), rung('source', 0)], unlink: [rung('source', 1)], forget: [rung('480p', 1)] },
    ],
    [
      'a rung whose playlist was not read this time: its segments are left alone',
      {
        playlists: [range(5, 8)],
        onDisk: new Set(range(0, 3, (n) => rung('240p', n))),
        stored: new Set([rung('240p', 0)]),
        uploading: new Set(),
        liveEdge: 2,
        margin: 0,
      },
      {},
    ],
  ])('%s', (_name, state, expected) => {
    const plan = planTsOffload(state);
    const sorted = (p: TsOffloadPlan) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, [...(v as string[])].sort()]));
    expect(sorted(plan)).toEqual(sorted({ ...none, ...expected }));
  });
});

describe('listedSegmentNames', () => {
  it('takes the last path component of each URI line and skips tags and other names', () => {
    const text = ['#EXTM3U', '#EXTINF:2.0,', 'seg_00001.ts', '#EXTINF:2.0,', '/x/hls/seg_480p_00002.ts?v=1', 'notes.txt', ''].join('\n');
    expect(listedSegmentNames(text)).toEqual(['seg_00001.ts', 'seg_480p_00002.ts']);
  });
});

describe('source file identity kept with a stored segment', () => {
  it('round-trips', () => {
    const id = { ino: 1234567, size: 376, mtimeMs: 1796119200123.25 };
    expect(sourceFileIdentity(sourceFileMetadata(id))).toEqual(id);
  });
  it.each<[string, Record<string, string> | undefined]>([
    ['none', undefined],
    ['a part missing', { 'source-ino': '1', 'source-size': '2' }],
    ['not a number', { 'source-ino': 'x', 'source-size': '2', 'source-mtime-ms': '3' }],
    ['negative', { 'source-ino': '1', 'source-size': '-2', 'source-mtime-ms': '3' }],
  ])('%s: undefined (the store’s own validators are used)', (_n, m) => {
    expect(sourceFileIdentity(m)).toBeUndefined();
  });
});

describe('DVR runs in the store', () => {
  const key = { app: 'live', name: 'ts' };
  it('TS runs never share a folder with CMAF runs (bare base-36 time)', () => {
    const t = Date.now();
    expect(isTsDvrRun(tsDvrRun(t))).toBe(true);
    expect(isTsDvrRun(t.toString(36))).toBe(false);
    expect(tsDvrRun(t)).not.toBe(t.toString(36));
    expect(dvrRunOfKey(key, `${dvrPrefix(key, tsDvrRun(t))}seg_00001.ts`)).toBe(tsDvrRun(t));
    expect(dvrRunOfKey(key, 'streams/live/ts2/dvr/abc/seg_00001.ts')).toBeUndefined();
  });
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-tsdvr-'));
  dirs.push(d);
  return d;
}

function playlist(first: number, last: number): string {
  return [
    '#EXTM3U',
    '#EXT-X-TARGETDURATION:2',
    `#EXT-X-MEDIA-SEQUENCE:${first}`,
    ...range(first, last).flatMap((n) => ['#EXTINF:2.0,', n]),
  ].join('\n');
}

describe('TsDvrArchive against a directory store', () => {
  it('moves what is older than the live edge to the store, then deletes what left the window from both', async () => {
    const root = tmp();
    const hlsDir = path.join(root, 'hls');
    fs.mkdirSync(hlsDir);
    const store = new LocalStore(path.join(root, 'store'));
    const queue = new UploadQueue(store, { maxJobs: 100, concurrency: 2, retryMinMs: 10, retryMaxMs: 10 }, silentLogger());
    const prefix = dvrPrefix({ app: 'live', name: 'ts' }, tsDvrRun(Date.now()));
    const archive = new TsDvrArchive({
      hlsDir,
      prefix,
      queue,
      liveEdgeSegments: 2,
      marginSegments: 1,
      cacheControl: 'max-age=60',
      pollMs: 10_000,
      log: silentLogger(),
    });
    const write = (n: number) => fs.writeFileSync(path.join(hlsDir, seg(n)), Buffer.alloc(188, n));
    const stored = async () => {
      const keys: string[] = [];
      for await (const o of store.list(prefix)) keys.push(o.key.slice(prefix.length));
      return keys;
    };
    for (let n = 0; n <= 4; n++) write(n);
    fs.writeFileSync(path.join(hlsDir, HLS_FILES.playlist), playlist(0, 4));
    await archive.sync();
    await waitFor(async () => (await stored()).length === 3);
    expect(await stored()).toEqual(range(0, 2));
    await waitFor(async () => fs.readdirSync(hlsDir).filter((n) => n.endsWith('.ts')).length === 2);
    expect(fs.readdirSync(hlsDir).sort()).toEqual([HLS_FILES.playlist, seg(3), seg(4)]);
    // The bytes in the store are the segment's.
    const obj = await store.get(`${prefix}${seg(1)}`);
    const chunks: Buffer[] = [];
    for await (const c of obj!.body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(Buffer.alloc(188, 1));

    // The window slides to 3..7: 0 and 1 fall behind it (margin 1 keeps 2).
    for (let n = 5; n <= 7; n++) write(n);
    fs.writeFileSync(path.join(hlsDir, HLS_FILES.playlist), playlist(3, 7));
    await archive.sync();
    await waitFor(async () => (await stored()).join() === range(2, 5).join());
    await archive.sync();
    expect(await stored()).toEqual(range(2, 5));
    expect(fs.readdirSync(hlsDir).sort()).toEqual([HLS_FILES.playlist, seg(6), seg(7)]);

    await archive.dispose();
    expect(await stored()).toEqual([]);
    queue.close();
  });

  it('the sweep deletes the stream’s runs not live here, and nothing of another stream', async () => {
    const store = new LocalStore(tmp());
    const key = { app: 'live', name: 'a' };
    const other = { app: 'live', name: 'ab' };
    await store.put(`${dvrPrefix(key, 'told')}seg_00001.ts`, Buffer.from('x'), 'video/MP2T');
    await store.put(`${dvrPrefix(key, 'old1')}seg_sfm4s_video_3.m4s`, Buffer.from('x'), 'video/mp4');
    await store.put(`${dvrPrefix(key, 'tnew')}seg_00009.ts`, Buffer.from('x'), 'video/MP2T');
    await store.put(`${dvrPrefix(other, 'tx')}seg_00001.ts`, Buffer.from('x'), 'video/MP2T');
    const r = await sweepDvrRuns(store, key, () => new Set(['tnew']));
    expect(r.deleted).toBe(2);
    const left: string[] = [];
    for await (const o of store.list('streams/')) left.push(o.key);
    expect(left.sort()).toEqual([`${dvrStreamPrefix(key)}tnew/seg_00009.ts`, `${dvrPrefix(other, 'tx')}seg_00001.ts`].sort());
  });
});

async function waitFor(cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
