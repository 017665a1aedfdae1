// An S3 API server for tests (s3rver), on a free loopback port with its own temporary directory.
// `stop()` (every connection dropped) and `start()` again on the same port simulate an outage.
import fs from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { StorageConfig } from '../../src/config/index.js';
import { S3Store } from '../../src/storage/s3-store.js';
import { freePort } from './ports.js';

export interface TestS3 {
  endpoint: string;
  port: number;
  bucket: string;
  /** Credentials s3rver accepts. */
  accessKeyId: string;
  secretAccessKey: string;
  /** Stops the server (an outage); the objects stay on disk. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

export async function startS3rver(bucket = 'recordings'): Promise<TestS3> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'streamfront-s3rver-'));
  const port = await freePort();
  let server: S3rver | undefined;
  const start = async () => {
    server = new S3rver({ address: '127.0.0.1', port, silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
    await server.run();
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    const closing = s.close();
    // An outage drops every connection at once, keep-alive ones included (an edge's, the SDK's);
    // otherwise close waits for their clients to let go, which may take longer than the outage.
    (s as unknown as { httpServer?: Server }).httpServer?.closeAllConnections();
    await closing;
  };
  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    start,
    stop,
    async dispose() {
      await stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** A client of the test server's bucket under `prefix` (path-style on the IP endpoint, as the server's own). */
export function s3StoreFor(s3: TestS3, prefix: string, opts: { requestTimeoutMs?: number } = {}): S3Store {
  return new S3Store({
    bucket: s3.bucket,
    prefix,
    endpoint: s3.endpoint,
    region: 'us-east-1',
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
    ...opts,
  });
}

/** The `storage` section of a server's config writing to the test bucket under `prefix`, retrying fast. */
export function s3StorageConfig(s3: TestS3, prefix: string): Partial<StorageConfig> {
  return {
    store: `s3://${s3.bucket}/${prefix}`,
    s3: { endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true },
    retryMinSeconds: 0.2,
    retryMaxSeconds: 1,
  };
}
