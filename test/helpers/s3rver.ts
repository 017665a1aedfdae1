// An S3 API server for tests (s3rver), on a free loopback port with its own temporary directory.
// `stop()` and `start()` again on the same port simulate an outage.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
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
    if (s) await s.close();
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
