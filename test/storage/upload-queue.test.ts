// The upload queue: an S3 outage is retried with back-off until the bucket is back, the queue is
// bounded, and closing it stops the retries.
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { retryDelayMs, UploadQueue } from '../../src/storage/upload-queue.js';
import { s3StoreFor, startS3rver, type TestS3 } from '../helpers/s3rver.js';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3rver('queue');
});
afterAll(async () => {
  await s3?.dispose();
});

const log = createLogger('silent');
const store = () => s3StoreFor(s3, '', { requestTimeoutMs: 2000 });

describe('retryDelayMs', () => {
  it.each([
    [1, 500],
    [2, 1000],
    [3, 2000],
    [6, 16000],
    [7, 30000],
    [50, 30000],
  ])('attempt %i waits %i ms (0.5 s doubling, capped at 30 s)', (attempt, ms) => {
    expect(retryDelayMs(attempt, 500, 30000)).toBe(ms);
  });
});

describe('UploadQueue', () => {
  it('retries through an outage and stores the object once the bucket is back', async () => {
    const q = new UploadQueue(store(), { maxJobs: 10, concurrency: 2, retryMinMs: 100, retryMaxMs: 400 }, log);
    await s3.stop();
    const r = q.enqueue({
      key: 'vod/a/b/r/index.m3u8',
      contentType: 'application/vnd.apple.mpegurl',
      source: { body: Buffer.from('#EXTM3U') },
    });
    expect(r.ok).toBe(true);
    const done = r.ok ? r.value : Promise.reject(new Error('refused'));
    await new Promise((res) => setTimeout(res, 1200));
    expect(q.failures).toBeGreaterThanOrEqual(2);
    expect(q.size).toBe(1);
    await s3.start();
    await done;
    expect(q.size).toBe(0);
    const got = await q.store.get('vod/a/b/r/index.m3u8');
    expect(await text(got!.body)).toBe('#EXTM3U');
    q.close();
  });

  it('is bounded: beyond maxJobs a job is refused with a reason, and close rejects what is left', async () => {
    const q = new UploadQueue(store(), { maxJobs: 2, concurrency: 1, retryMinMs: 50, retryMaxMs: 50 }, log);
    await s3.stop();
    const a = q.enqueue({ key: 'k1', contentType: 'text/plain', source: { body: Buffer.from('1') } });
    const b = q.enqueue({ key: 'k2', contentType: 'text/plain', source: { body: Buffer.from('2') } });
    const c = q.enqueue({ key: 'k3', contentType: 'text/plain', source: { body: Buffer.from('3') } });
    expect(a.ok && b.ok).toBe(true);
    expect(c).toMatchObject({ ok: false, code: 'full' });
    const settled = Promise.allSettled([a.ok ? a.value : undefined, b.ok ? b.value : undefined]);
    await new Promise((res) => setTimeout(res, 300));
    q.close();
    const [ra, rb] = await settled;
    expect(ra).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/closed/) } });
    expect(rb).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/closed/) } });
    expect(q.enqueue({ key: 'k4', contentType: 'text/plain', source: { body: Buffer.from('4') } })).toMatchObject({
      ok: false,
      code: 'closed',
    });
    await s3.start();
  });

  it('an aborted job frees its place, waiting or retrying, and is never stored', async () => {
    const q = new UploadQueue(store(), { maxJobs: 2, concurrency: 1, retryMinMs: 100, retryMaxMs: 100 }, log);
    await s3.stop();
    const retrying = new AbortController();
    const waiting = new AbortController();
    const a = q.enqueue({ key: 'abort/a', contentType: 'text/plain', source: { body: Buffer.from('a') }, signal: retrying.signal });
    const b = q.enqueue({ key: 'abort/b', contentType: 'text/plain', source: { body: Buffer.from('b') }, signal: waiting.signal });
    expect(a.ok && b.ok).toBe(true);
    const settled = Promise.allSettled([a.ok ? a.value : undefined, b.ok ? b.value : undefined]);
    await new Promise((res) => setTimeout(res, 400));
    expect(q.size).toBe(2);
    expect(q.enqueue({ key: 'abort/c', contentType: 'text/plain', source: { body: Buffer.from('c') } })).toMatchObject({ code: 'full' });
    retrying.abort();
    waiting.abort();
    const [ra, rb] = await settled;
    expect(ra).toMatchObject({ status: 'rejected', reason: { name: 'AbortError' } });
    expect(rb).toMatchObject({ status: 'rejected', reason: { name: 'AbortError' } });
    expect(q.size).toBe(0);
    await s3.start();
    const d = q.enqueue({ key: 'abort/d', contentType: 'text/plain', source: { body: Buffer.from('d') } });
    expect(d.ok).toBe(true);
    if (d.ok) await d.value;
    const keys: string[] = [];
    for await (const o of q.store.list('abort/')) keys.push(o.key);
    expect(keys).toEqual(['abort/d']);
    q.close();
  });
});
