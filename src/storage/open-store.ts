// The store the configuration names (`storage.store`): the data directory or an S3 bucket, and
// the upload queue every durable write goes through. The only place that reads `storage`.
import path from 'node:path';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { LocalStore } from './local-store.js';
import type { ObjectStore } from './object-store.js';
import { parseS3Url, S3Store } from './s3-store.js';
import { UploadQueue } from './upload-queue.js';

/** The configured store; throws a one-line Error for a bad `s3://` URL. */
export function openStore(config: Config, env: NodeJS.ProcessEnv = process.env): ObjectStore {
  const { storage } = config;
  if (storage.store === 'data-dir') return new LocalStore(path.resolve(config.dataDir));
  const where = parseS3Url(storage.store);
  if (!where.ok) throw new Error(`storage.store: ${where.reason}`);
  return new S3Store({
    ...where.value,
    region: storage.s3.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    forcePathStyle: storage.s3.forcePathStyle,
    ...(storage.s3.endpoint !== undefined ? { endpoint: storage.s3.endpoint } : {}),
    ...(storage.s3.accessKeyId !== undefined && storage.s3.secretAccessKey !== undefined
      ? { accessKeyId: storage.s3.accessKeyId, secretAccessKey: storage.s3.secretAccessKey }
      : {}),
  });
}

export function openUploadQueue(store: ObjectStore, config: Config, log: Logger): UploadQueue {
  const s = config.storage;
  return new UploadQueue(
    store,
    {
      maxJobs: s.maxQueuedWrites,
      concurrency: s.writeConcurrency,
      retryMinMs: s.retryMinSeconds * 1000,
      retryMaxMs: Math.max(s.retryMinSeconds, s.retryMaxSeconds) * 1000,
    },
    log,
  );
}
