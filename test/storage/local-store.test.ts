// LocalStore hardening: nothing outside its root is read, written, listed or deleted through a
// symlink planted inside it, and a reader never sees half an object.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/storage/local-store.js';

let dir: string;
let root: string;
let outside: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'streamfront-local-store-'));
  root = path.join(dir, 'root');
  outside = path.join(dir, 'outside');
  await fs.mkdir(root);
  await fs.mkdir(outside);
  await fs.writeFile(path.join(outside, 'secret.txt'), 'secret');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function keys(store: LocalStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}

describe('LocalStore containment', () => {
  it('does not read, list or delete through a symlinked folder', async () => {
    await fs.symlink(outside, path.join(root, 'vod'));
    const store = new LocalStore(root);
    expect(await store.get('vod/secret.txt')).toBeUndefined();
    expect(await store.head('vod/secret.txt')).toBeUndefined();
    expect(await keys(store, 'vod/')).toEqual([]);
    expect(await keys(store, '')).toEqual([]);
    await store.delete('vod/secret.txt');
    await store.deletePrefix('vod/');
    expect(await fs.readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('does not write through a symlinked folder', async () => {
    await fs.mkdir(path.join(root, 'vod'));
    await fs.symlink(outside, path.join(root, 'vod', 'live'));
    const store = new LocalStore(root);
    await expect(store.put('vod/live/planted.txt', Buffer.from('x'), 'text/plain')).rejects.toThrow(/not a directory/);
    await expect(fs.readdir(outside)).resolves.toEqual(['secret.txt']);
  });

  it('does not follow a symlink at the key itself, and replaces the link (not its target) on put', async () => {
    await fs.mkdir(path.join(root, 'a'));
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(root, 'a', 'link.txt'));
    const store = new LocalStore(root);
    expect(await store.get('a/link.txt')).toBeUndefined();
    expect(await store.head('a/link.txt')).toBeUndefined();
    await store.put('a/link.txt', Buffer.from('mine'), 'text/plain');
    expect(await fs.readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(await text((await store.get('a/link.txt'))!.body)).toBe('mine');
  });

  it('never leaves the root for an escaping key', async () => {
    const store = new LocalStore(root);
    for (const key of ['../outside/secret.txt', 'a/../../outside/secret.txt', '/etc/passwd']) {
      expect(await store.get(key)).toBeUndefined();
      await expect(store.put(key, Buffer.from('x'), 'text/plain')).rejects.toThrow(/invalid store key/);
      await store.delete(key);
    }
    expect(await fs.readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });
});

describe('LocalStore atomic writes', () => {
  it('a concurrent reader sees the old object or the new one whole, never a part', async () => {
    const store = new LocalStore(root);
    const a = Buffer.alloc(4 * 1024 * 1024, 'a');
    const b = Buffer.alloc(4 * 1024 * 1024, 'b');
    await store.put('x/obj', a, 'application/octet-stream');
    const writes = Promise.all([store.put('x/obj', b, 'application/octet-stream'), store.put('x/obj', a, 'application/octet-stream')]);
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const got = await store.get('x/obj');
      const body = Buffer.from(await (await import('node:stream/consumers')).buffer(got!.body));
      expect(body.length).toBe(a.length);
      seen.add(body.subarray(0, 1).toString() + body.subarray(-1).toString());
    }
    await writes;
    for (const s of seen) expect(['aa', 'bb']).toContain(s);
  });

  it('a crashed put leaves a temp file that is never listed or served, and no object', async () => {
    const store = new LocalStore(root);
    await fs.mkdir(path.join(root, 'x'));
    await fs.writeFile(path.join(root, 'x', 'obj.4242.0123456789ab.tmp'), 'half');
    expect(await keys(store, 'x/')).toEqual([]);
    expect(await store.get('x/obj')).toBeUndefined();
    expect(await store.get('x/obj.4242.0123456789ab.tmp')).toBeUndefined();
  });

  it('a failed write loses nothing that was there and leaves no temp file', async () => {
    const store = new LocalStore(root);
    await store.put('x/obj', Buffer.from('old'), 'text/plain');
    await expect(store.putFile('x/obj', path.join(dir, 'missing-source'))).rejects.toThrow();
    expect(await text((await store.get('x/obj'))!.body)).toBe('old');
    expect(await fs.readdir(path.join(root, 'x'))).toEqual(['obj']);
  });

  it('putFile links a file on the same filesystem instead of copying it, and never stores a symlink', async () => {
    const store = new LocalStore(root);
    const src = path.join(dir, 'big.mp4');
    await fs.writeFile(src, 'bytes');
    await store.putFile('vod/a/recording.mp4', src);
    const st = await fs.stat(path.join(root, 'vod/a/recording.mp4'));
    expect(st.ino).toBe((await fs.stat(src)).ino);
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(dir, 'link'));
    await store.putFile('vod/a/link.mp4', path.join(dir, 'link')).catch(() => undefined);
    const got = await store.get('vod/a/link.mp4');
    if (got) expect(await text(got.body)).toBe('secret'); // copied as bytes at most, never a link in the store
    expect((await fs.lstat(path.join(root, 'vod/a/link.mp4')).catch(() => undefined))?.isSymbolicLink() ?? false).toBe(false);
  });

  it('deletePrefix removes the folders it emptied, and only those', async () => {
    const store = new LocalStore(root);
    await store.put('vod/live/talk/r1/a.ts', Buffer.from('1'), 'video/MP2T');
    await store.put('vod/live/talk/r2/a.ts', Buffer.from('2'), 'video/MP2T');
    await store.deletePrefix('vod/live/talk/r1/');
    await expect(fs.stat(path.join(root, 'vod/live/talk/r1'))).rejects.toThrow();
    expect(await keys(store, 'vod/')).toEqual(['vod/live/talk/r2/a.ts']);
  });
});
