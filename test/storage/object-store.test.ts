// The ObjectStore contract, run against both stores: the data directory and an S3 bucket (s3rver).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/storage/local-store.js';
import { isValidStoreKey, putFileInto, type ObjectStore } from '../../src/storage/object-store.js';
import { parseS3Url } from '../../src/storage/s3-store.js';
import { s3StoreFor, startS3rver, type TestS3 } from '../helpers/s3rver.js';
import { defaultConfig } from '../../src/config/index.js';
import { openStore } from '../../src/storage/open-store.js';

let s3: TestS3;
let dir: string;
const stores: Record<string, () => ObjectStore> = {};

beforeAll(async () => {
  s3 = await startS3rver('contract');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'streamfront-store-'));
  stores.local = () => new LocalStore(path.join(dir, 'local'));
  stores.s3 = () => s3StoreFor(s3, 'team/a');
});
afterAll(async () => {
  await s3?.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

describe.each(['local', 's3'])('ObjectStore contract: %s', (name) => {
  const store = () => stores[name]!();

  it('puts, heads, gets whole and by range, lists in key order, deletes', async () => {
    const st = store();
    await st.put('vod/live/talk/r1/index.m3u8', Buffer.from('#EXTM3U\n'), 'application/vnd.apple.mpegurl');
    await st.put('vod/live/talk/r1/seg_00000.ts', Buffer.from('0123456789'), 'video/MP2T');
    await st.put('vod/live/talk2/r2/index.m3u8', Buffer.from('other'), 'application/vnd.apple.mpegurl');
    const h = await st.head('vod/live/talk/r1/seg_00000.ts');
    expect(h).toMatchObject({ key: 'vod/live/talk/r1/seg_00000.ts', size: 10 });
    expect(h!.etag).toMatch(/^".+"$/);
    const whole = await st.get('vod/live/talk/r1/seg_00000.ts');
    expect(await text(whole!.body)).toBe('0123456789');
    const part = await st.get('vod/live/talk/r1/seg_00000.ts', { start: 2, end: 5 });
    expect(part!.size).toBe(10); // the object's size, not the range's
    expect(await text(part!.body)).toBe('2345');
    const keys: string[] = [];
    for await (const o of st.list('vod/live/talk/')) keys.push(o.key);
    expect(keys).toEqual(['vod/live/talk/r1/index.m3u8', 'vod/live/talk/r1/seg_00000.ts']);
    await st.deletePrefix('vod/live/talk/');
    expect(await st.head('vod/live/talk/r1/index.m3u8')).toBeUndefined();
    expect(await st.get('vod/live/talk/r1/seg_00000.ts')).toBeUndefined();
    expect(await st.head('vod/live/talk2/r2/index.m3u8')).toMatchObject({ size: 5 });
    await st.delete('vod/live/talk2/r2/index.m3u8');
    await st.delete('vod/live/talk2/r2/index.m3u8'); // already gone: no error
    expect(await st.head('vod/live/talk2/r2/index.m3u8')).toBeUndefined();
  });

  it('streams a file in and replaces an object whole', async () => {
    const st = store();
    const file = path.join(dir, `${name}-big.bin`);
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    await fs.writeFile(file, bytes);
    await putFileInto(st, 'vod/x/y/r/recording.mp4', file, 'video/mp4');
    expect((await st.head('vod/x/y/r/recording.mp4'))!.size).toBe(bytes.length);
    await st.put('vod/x/y/r/recording.mp4', Buffer.from('short'), 'video/mp4');
    expect(await text((await st.get('vod/x/y/r/recording.mp4'))!.body)).toBe('short');
  });

  it('keeps a writer’s metadata where the store can (S3), and a directory none', async () => {
    const st = store();
    const file = path.join(dir, `${name}-meta.ts`);
    await fs.writeFile(file, Buffer.alloc(376, 1));
    const metadata = { 'source-ino': '42', 'source-mtime-ms': '1796119200000.5' };
    await putFileInto(st, 'streams/live/m/dvr/t1/seg_00001.ts', file, 'video/MP2T', { metadata });
    await st.put('streams/live/m/dvr/t1/seg_00002.ts', Buffer.alloc(188), 'video/MP2T', { metadata });
    for (const key of ['streams/live/m/dvr/t1/seg_00001.ts', 'streams/live/m/dvr/t1/seg_00002.ts']) {
      const got = await st.get(key);
      got!.body.destroy();
      const head = await st.head(key);
      if (name === 's3') {
        expect(got!.metadata).toEqual(metadata);
        expect(head!.metadata).toEqual(metadata);
      } else {
        expect(got!.metadata).toBeUndefined();
      }
    }
  });

  it.each(['', '/abs', '../up', 'a/../b', 'a//b', 'a\\b', 'a/./b', 'nul\0'])('refuses the key %j', async (key) => {
    const st = store();
    await expect(st.put(key, Buffer.from('x'), 'text/plain')).rejects.toThrow(/invalid store key/);
    expect(await st.head(key)).toBeUndefined();
    expect(await st.get(key)).toBeUndefined();
  });
});

describe('store keys and S3 URLs', () => {
  it.each([
    ['vod/live/talk/r/index.m3u8', true],
    ['a', true],
    ['', false],
    ['/a', false],
    ['a/', false],
    ['a/../b', false],
    ['..', false],
    ['a\\b', false],
    ['x'.repeat(1025), false],
  ])('isValidStoreKey(%j) = %s', (key, valid) => {
    expect(isValidStoreKey(key)).toBe(valid);
  });

  it.each([
    ['s3://bucket', { bucket: 'bucket', prefix: '' }],
    ['s3://my.bucket-1/a/b/', { bucket: 'my.bucket-1', prefix: 'a/b' }],
    ['s3://b12/prefix', { bucket: 'b12', prefix: 'prefix' }],
  ])('parseS3Url(%j)', (url, want) => {
    expect(parseS3Url(url)).toEqual({ ok: true, value: want });
  });

  it.each(['http://bucket/x', 's3://', 's3://UPPER/x', 's3://a/x', 's3://bucket/../x', 's3://bucket/a//b', 's3://bu..cket/x'])(
    'parseS3Url(%j) fails with a reason',
    (url) => {
      const r = parseS3Url(url);
      expect(r.ok).toBe(false);
    },
  );
});

describe('S3 credentials', () => {
  const configFor = (s3conf: Record<string, unknown>) =>
    defaultConfig({ storage: { store: `s3://${s3.bucket}/creds`, s3: { endpoint: s3.endpoint, ...s3conf } } });

  it('come from the standard AWS environment variables when neither flags nor file give them', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    try {
      process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
      const store = openStore(configFor({}));
      await store.put('from-env.txt', Buffer.from('env'), 'text/plain');
      expect(await store.head('from-env.txt')).toMatchObject({ size: 3 });
      store.close?.();
    } finally {
      for (const [k, v] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('given ones are used (a wrong key is refused by the server)', async () => {
    const good = openStore(configFor({ accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }));
    await good.put('given.txt', Buffer.from('ok'), 'text/plain');
    const bad = openStore(configFor({ accessKeyId: 'NOT-A-KEY', secretAccessKey: 'nope' }));
    await expect(bad.put('given.txt', Buffer.from('x'), 'text/plain')).rejects.toThrow();
    good.close?.();
    bad.close?.();
  });
});
