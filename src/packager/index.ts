// The packager: one supervised ffmpeg per live stream, reading it back from our RTMP ingest and
// writing HLS, HDS and Smooth into the stream's directory (layout: src/timeline/output-layout.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { LiveRegistry, LiveStream } from '../streams/registry.js';
import { streamId, type StreamKey } from '../streams/stream-key.js';
import { checkFfmpeg } from './ffmpeg-process.js';
import { removeLeftovers } from './leftovers.js';
import { StreamSupervisor, type TsDvrDeps } from './supervisor.js';
import { filePolicy } from '../origin/cache-policy.js';
import type { TimelineStore } from '../timeline/stream-timeline.js';
import { recoverRecordings, type RecorderDeps } from '../recordings/recorder.js';
import { openStore, openUploadQueue } from '../storage/open-store.js';
import type { ObjectStore } from '../storage/object-store.js';

export interface PackagerHandle {
  ffmpegPath: string;
  ffmpegVersion: string;
  /** Graceful stop of every ffmpeg (`q`, then signals, then SIGKILL); resolves when all are reaped. */
  close(): Promise<void>;
}

/** config.packager.ffmpegPath, else FFMPEG_PATH, else `ffmpeg` resolved on PATH (absolute, for the log). */
export async function resolveFfmpegPath(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const candidate = configured ?? env.FFMPEG_PATH ?? 'ffmpeg';
  if (candidate.includes('/')) return path.resolve(candidate);
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const full = path.join(dir, candidate);
    try {
      await fs.access(full, fs.constants.X_OK);
      return full;
    } catch {
      /* next */
    }
  }
  return candidate; // checkFfmpeg reports it clearly
}

export interface WorkingFfmpeg {
  path: string;
  version: string;
}

/** The ffmpeg the packager will use, checked (runs, has the hls/hds/smoothstreaming/mp4 muxers); throws a one-line Error. */
export async function locateFfmpeg(config: Config): Promise<WorkingFfmpeg> {
  const ffmpegPath = await resolveFfmpegPath(config.packager.ffmpegPath);
  const ff = await checkFfmpeg(ffmpegPath);
  return { path: ffmpegPath, version: ff.version };
}

/**
 * `ffmpeg` may come from an earlier locateFfmpeg() call, so that a server checks it before it
 * starts listening for publishers.
 */
export async function startPackager(opts: {
  config: Config;
  registry: LiveRegistry;
  log: Logger;
  rtmpPort: number;
  ffmpeg?: WorkingFfmpeg;
  /** Receives the CMAF output (LL-HLS/DASH) of every stream; absent: no CMAF output. */
  timelines?: TimelineStore;
  /** The store recordings go to (default: the one `storage` configures, opened and closed here). */
  store?: ObjectStore;
}): Promise<PackagerHandle> {
  const { config, registry } = opts;
  const log = opts.log.child({ role: 'packager' });
  const { path: ffmpegPath, version: ffmpegVersion } = opts.ffmpeg ?? (await locateFfmpeg(config));
  log.info({ ffmpegPath, ffmpegVersion }, 'using ffmpeg');

  const dataDir = path.resolve(config.dataDir);
  const supervisors = new Map<string, StreamSupervisor>();
  const supervisorFor = (key: StreamKey): StreamSupervisor => {
    const id = streamId(key);
    let s = supervisors.get(id);
    if (!s) {
      s = new StreamSupervisor({
        key,
        dataDir,
        config: config.packager,
        ffmpegPath,
        rtmpHost: config.host,
        rtmpPort: opts.rtmpPort,
        registry,
        log,
        ...(opts.timelines ? { timelines: opts.timelines } : {}),
        recordings,
        ...(tsDvr ? { tsDvr } : {}),
        onRetired: () => {
          if (supervisors.get(id) === s) supervisors.delete(id);
        },
      });
      supervisors.set(id, s);
    }
    return s;
  };

  // A previous run's live output is never served as live (nor continued): removed before any publish.
  await removeLeftovers(dataDir, log);

  // Recordings go to the configured store through one bounded, retrying upload queue.
  const store = opts.store ?? openStore(config);
  const queue = openUploadQueue(store, config, log);
  const recordings: RecorderDeps = {
    dataDir,
    ffmpegPath,
    segmentSeconds: config.packager.segmentSeconds,
    queue,
    cache: config.origin.cacheControl,
    log,
    active: new Set(),
  };
  const recovery = recoverRecordings(recordings);
  // With a bucket (not the data directory), the TS DVR window beyond the live edge goes there too;
  // the live edge is as many segments as the CMAF timeline keeps in memory.
  const tsDvr: TsDvrDeps | undefined =
    config.storage.store === 'data-dir'
      ? undefined
      : {
          queue,
          liveEdgeSegments: config.packager.dvrMemorySegments,
          cacheControl: filePolicy('hls-segment', config.origin.cacheControl).cacheControl,
          pollMs: Math.min(1000, config.packager.segmentSeconds * 500),
        };

  let closing = false;
  const onPublish = (stream: LiveStream) => {
    if (!closing) void supervisorFor(stream.key).publish(stream);
  };
  const onUnpublish = (stream: LiveStream) => {
    void supervisors.get(streamId(stream.key))?.unpublish(stream);
  };
  registry.on('publish', onPublish);
  registry.on('unpublish', onUnpublish);
  // Streams that went live before the packager subscribed.
  for (const stream of registry.list()) onPublish(stream);

  return {
    ffmpegPath,
    ffmpegVersion,
    async close() {
      closing = true;
      registry.off('publish', onPublish);
      registry.off('unpublish', onUnpublish);
      await Promise.all([...supervisors.values()].map((s) => s.close()));
      supervisors.clear();
      await recovery.close();
      // Recordings of retired streams may still be building or uploading: stopped, rebuilt at the next start.
      await Promise.all([...recordings.active].map((r) => r.close()));
      queue.close();
      if (!opts.store) store.close?.();
      log.info('packager stopped');
    },
  };
}
