// The DVR archive against a real LocalStore in a temporary directory: segments older than the
// live edge go to the store and leave memory, come back on read, leave the store with the window;
// a failing store keeps them in memory up to a bound, then drops them (answered 404), never more.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/storage/local-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { DvrArchive } from '../../src/timeline/dvr-archive.js';
import { dvrPrefix } from '../../src/timeline/output-layout.js';
import type { StreamTimeline } from '../../src/timeline/stream-timeline.js';
import { feed, OPTS } from '../timeline/fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A track fed part by part, announcing each part as StreamTimeline does. */
function setup(store: ObjectStore, keepSegments = 100, memorySegments = 3) {
  const f = feed(undefined, { ...OPTS, keepSegments });
  const stream = Object.assign(new EventEmitter(), { track: (id: string) => (id === f.track.id ? f.track : undefined) });
  const prefix = dvrPrefix({ app: 'live', name: 'a' }, 'run1');
  const logs: string[] = [];
  const log = { warn: (_o: object, m: string) => logs.push(m), error: (_o: object, m: string) => logs.push(m) };
  const archive = new DvrArchive({ store, prefix, memorySegments, log });
  archive.attach(stream as unknown as StreamTimeline);
  /** `n` 2-s segments of four 0.5-s parts (100 bytes each), then the first part of the next. */
  const segments = (n: number) => {
    for (let i = 0; i < n * 4 + 1; i++) {
      f.add([[0.5, i % 4 === 0]]);
      const part = f.track.lastPart!;
      stream.emit('part', f.track.id, part);
    }
  };
  return { f, archive, prefix, segments, logs };
}

function tmpStore(): { store: LocalStore; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-dvr-archive-'));
  dirs.push(dir);
  return { store: new LocalStore(dir), dir };
}

describe('DvrArchive', () => {
  it('puts segments older than the live edge, releases them, and reads them back', async () => {
    const { store, dir } = tmpStore();
    const { f, archive, prefix, segments } = setup(store);
    segments(8);
    await archive.idle();
    const complete = f.track.segments.filter((s) => s.complete);
    expect(complete).toHaveLength(8);
    expect(complete.filter((s) => !s.released)).toHaveLength(3);
    const released = complete.filter((s) => s.released);
    expect(released).toHaveLength(5);
    for (const s of released) {
      const bytes = await archive.read('video', s.msn);
      expect(bytes?.length).toBe(s.size);
      expect(fs.existsSync(path.join(dir, ...prefix.split('/'), `seg_sfm4s_video_${s.msn}.m4s`))).toBe(true);
    }
    expect(await archive.read('video', complete.at(-1)!.msn)).toBeUndefined(); // in memory, not in the store
  });

  it('deletes what leaves the window; the store never holds more than the window', async () => {
    const { store } = tmpStore();
    const { f, archive, prefix, segments } = setup(store, 6);
    segments(20);
    await archive.idle();
    const keys: string[] = [];
    for await (const o of store.list(prefix)) keys.push(o.key);
    const held = f.track.segments.filter((s) => s.released).map((s) => `${prefix}seg_sfm4s_video_${s.msn}.m4s`);
    expect(keys.sort()).toEqual(held.sort());
    expect(keys.length).toBeLessThanOrEqual(6 - 3);
  });

  it('dispose removes everything it stored', async () => {
    const { store } = tmpStore();
    const { archive, prefix, segments } = setup(store);
    segments(6);
    await archive.idle();
    await archive.dispose();
    const keys: string[] = [];
    for await (const o of store.list(prefix)) keys.push(o.key);
    expect(keys).toEqual([]);
  });

  it('a failing store: kept in memory and retried, dropped past twice the live edge, logged', async () => {
    const { store } = tmpStore();
    let failing = true;
    const flaky: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
      put: (k: string, b: Buffer, t: string) => (failing ? Promise.reject(new Error('EIO')) : (store as ObjectStore).put(k, b, t)),
    });
    const { f, archive, segments, logs } = setup(flaky);
    segments(6);
    await archive.idle();
    expect(f.track.segments.filter((s) => s.complete && !s.released)).toHaveLength(6);
    expect(logs).toEqual(['DVR store write failed: kept in memory, retrying']);
    segments(6);
    await archive.idle();
    const inMemory = f.track.segments.filter((s) => s.complete && !s.released).length;
    expect(inMemory).toBeLessThanOrEqual(2 * 3 + 3);
    expect(logs).toContain('DVR store failing: segment dropped from memory');
    const lost = f.track.segments.find((s) => s.released)!;
    expect(await archive.read('video', lost.msn)).toBeUndefined();
    // The store recovers: the next segments are stored again.
    failing = false;
    segments(2);
    await archive.idle();
    expect(f.track.segments.filter((s) => s.complete && !s.released)).toHaveLength(3);
  });
});
