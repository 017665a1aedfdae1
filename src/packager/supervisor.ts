// One supervisor per stream key: runs the stream's ffmpeg while it is live, restarts it with
// back-off when it dies under a live publisher, stops it gracefully when the publisher leaves,
// and removes the stream's files a while after the end (unless the stream comes back).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PackagerConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import type { LiveRegistry, LiveStream } from '../streams/registry.js';
import { formatDir, streamDir, streamId, OUTPUT_FILES, STREAM_INFO_FILE, type StreamInfoFile, type StreamKey } from '../streams/stream-key.js';
import { needsAudioTranscode, needsVideoTranscode, packagingInvocation, rtmpInputUrl, invocationArgv } from './ffmpeg-args.js';
import { spawnFfmpeg, type FfmpegChild, type FfmpegExit } from './ffmpeg-process.js';

export interface SupervisorDeps {
  key: StreamKey;
  dataDir: string;
  config: PackagerConfig;
  ffmpegPath: string;
  rtmpHost: string;
  rtmpPort: number;
  registry: LiveRegistry;
  log: Logger;
  /** Called when the supervisor has nothing left to do (files removed). */
  onRetired: () => void;
}

/** Pure: restart delay after `failures` consecutive early exits (0.5 s, 1 s, 2 s, … up to the max). */
export function restartDelayMs(failures: number, minSeconds: number, maxSeconds: number): number {
  const s = Math.min(maxSeconds, minSeconds * 2 ** Math.max(0, failures - 1));
  return Math.round(Math.max(minSeconds, s) * 1000);
}

/** An ffmpeg that ran at least this long counts as healthy: the back-off starts again from the minimum. */
const HEALTHY_RUN_MS = 30_000;
/** Below this much free space in a stream's directory, an ffmpeg death is reported as a full disk. */
const LOW_DISK_BYTES = 1024 * 1024;
/** How long a new publish may wait for its codecs before ffmpeg starts anyway. */
const CODEC_WAIT_MS = 1000;

export class StreamSupervisor {
  readonly #d: SupervisorDeps;
  readonly #log: Logger;
  #live: LiveStream | null = null;
  #child: FfmpegChild | null = null;
  #childStartedAt = 0;
  #failures = 0;
  /** Set when ffmpeg said a copied codec does not fit a container: re-encode from then on. */
  #forceTranscode = false;
  #restartTimer: NodeJS.Timeout | null = null;
  #cleanupTimer: NodeJS.Timeout | null = null;
  /** Serialises publish/unpublish/close so a republish waits for the previous ffmpeg's trailers. */
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(deps: SupervisorDeps) {
    this.#d = deps;
    this.#log = deps.log.child({ stream: streamId(deps.key) });
  }

  get streamDir(): string {
    return streamDir(this.#d.dataDir, this.#d.key);
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(task).catch((err: unknown) => {
      this.#log.error({ err }, 'packager task failed');
    });
    this.#queue = next;
    return next;
  }

  publish(stream: LiveStream): Promise<void> {
    this.#cancelCleanup();
    return this.#enqueue(async () => {
      if (this.#closed) return;
      await this.#stopChild();
      this.#live = stream;
      await this.#prepareAndStart(stream).catch((err: unknown) => {
        // Data directory not writable or full: this stream fails loudly, the server and other streams go on.
        this.#d.registry.update(stream.key, { packaging: 'failed' });
        this.#log.error({ err: (err as Error).message, dir: this.streamDir }, 'cannot package stream');
      });
    });
  }

  async #prepareAndStart(stream: LiveStream): Promise<void> {
    this.#failures = 0;
    this.#forceTranscode = false;
    const dir = this.streamDir;
    if (stream.recordMode) {
      // SPEC ING-01: a record-mode (re)publish discards the earlier stream and starts a new one.
      await fs.rm(dir, { recursive: true, force: true });
    }
    await fs.mkdir(dir, { recursive: true });
    const info: StreamInfoFile = {
      app: stream.key.app,
      name: stream.key.name,
      ...(stream.event !== undefined ? { event: stream.event } : {}),
      startedAt: stream.startedAt.toISOString(),
    };
    await writeJsonAtomic(path.join(dir, STREAM_INFO_FILE), info);
    await this.#waitForCodecs(stream);
    if (this.#live !== stream || this.#closed) return;
    await this.#startChild();
  }

  unpublish(stream: LiveStream): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#live?.sessionId !== stream.sessionId) return;
      this.#live = null;
      await this.#stopChild();
      await this.#finalize();
      this.#scheduleCleanup();
    });
  }

  /** Server shutdown: stop ffmpeg gracefully, keep the (valid, final) files. */
  close(): Promise<void> {
    this.#cancelCleanup();
    const wasLive = this.#live !== null;
    this.#live = null;
    this.#closed = true;
    return this.#enqueue(async () => {
      await this.#stopChild();
      if (wasLive) await this.#finalize();
    });
  }

  /** Files of a stream found on disk at start-up: remove them after the cleanup delay. */
  adoptLeftovers(): void {
    this.#scheduleCleanup();
  }

  /** The pid of the running ffmpeg (tests and benchmarks). */
  ffmpegPid(): number | undefined {
    return this.#child?.pid();
  }

  async #waitForCodecs(stream: LiveStream): Promise<void> {
    const known = () => stream.video !== undefined && stream.audio !== undefined;
    if (known()) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, CODEC_WAIT_MS);
      const onUpdate = (s: LiveStream) => {
        if (s === stream && known()) done();
      };
      function done() {
        clearTimeout(timer);
        registry.off('update', onUpdate);
        resolve();
      }
      const registry = this.#d.registry;
      registry.on('update', onUpdate);
    });
  }

  async #startChild(): Promise<void> {
    const live = this.#live;
    if (!live) return;
    const { config, key, dataDir } = this.#d;
    const dirs = { hls: formatDir(dataDir, key, 'hls'), hds: formatDir(dataDir, key, 'hds'), mss: formatDir(dataDir, key, 'mss') };
    // HDS and Smooth cannot continue an earlier process's timeline; their leftovers would stay on
    // disk for ever, so every ffmpeg starts them afresh. HLS continues (append_list).
    await Promise.all([fs.rm(dirs.hds, { recursive: true, force: true }), fs.rm(dirs.mss, { recursive: true, force: true })]);
    await Promise.all(Object.values(dirs).map((d) => fs.mkdir(d, { recursive: true })));
    const appendHls = await hasPlaylist(dirs.hls);
    if (appendHls) await removeTempFiles(dirs.hls);
    const transcodeVideo = this.#forceTranscode || needsVideoTranscode(live.video?.codec);
    const transcodeAudio = this.#forceTranscode || needsAudioTranscode(live.audio?.codec);
    if (transcodeVideo || transcodeAudio) {
      this.#log.warn({ video: live.video?.codec, audio: live.audio?.codec, transcodeVideo, transcodeAudio }, 'input is not H.264/AAC: transcoding to H.264/AAC');
    }
    const inv = packagingInvocation({
      inputUrl: rtmpInputUrl(this.#d.rtmpHost, this.#d.rtmpPort, key.app, key.name),
      workDir: this.streamDir,
      segmentSeconds: config.segmentSeconds,
      windowSegments: config.windowSegments,
      extraWindowSegments: config.extraWindowSegments,
      transcodeVideo,
      transcodeAudio,
      appendHls,
      inputTimeoutSeconds: Math.max(5, config.segmentSeconds * 3),
      ...(live.bitrateKbps ? { transcodeVideoKbps: Math.min(8000, Math.max(500, live.bitrateKbps)) } : {}),
    });
    const child = spawnFfmpeg(this.#d.ffmpegPath, inv, (line) => this.#log.debug({ ffmpeg: line }, 'ffmpeg stderr'));
    this.#child = child;
    this.#childStartedAt = Date.now();
    const pid = await child.started;
    this.#log.info({ pid, appendHls, transcoding: transcodeVideo || transcodeAudio, args: invocationArgv(inv).join(' ') }, 'ffmpeg start');
    this.#d.registry.update(key, { packaging: 'running', transcoding: transcodeVideo || transcodeAudio });
    void child.exited.then((exit) => this.#onChildExit(child, exit));
  }

  #onChildExit(child: FfmpegChild, exit: FfmpegExit): void {
    if (this.#child !== child) return; // a stop we asked for: #stopChild logs it
    this.#child = null;
    const ranMs = Date.now() - this.#childStartedAt;
    const live = this.#live;
    const level = live ? 'warn' : 'info';
    this.#log[level]({ pid: child.pid(), code: exit.code, signal: exit.signal, ranMs, spawnError: exit.spawnError, stderr: exit.stderrTail || undefined }, 'ffmpeg exit');
    if (!live || this.#closed) return;
    if (/Could not find tag for codec|codec not currently supported in container/.test(exit.stderrTail)) {
      // Codecs we could not learn from the RTMP headers in time, and that the containers refuse.
      this.#forceTranscode = true;
    }
    // ffmpeg only says "Input/output error" when a write fails; name a full disk ourselves.
    void this.#reportFullDisk(exit);
    // Died under a live publisher: restart with back-off (target: output resumes within 3 s).
    this.#failures = ranMs >= HEALTHY_RUN_MS ? 1 : this.#failures + 1;
    this.#scheduleRestart(live, 'ffmpeg died while the stream is live: restarting');
  }

  async #reportFullDisk(exit: FfmpegExit): Promise<void> {
    const dir = streamDir(this.#d.dataDir, this.#d.key);
    const stats = await fs.statfs(dir).catch(() => null);
    const freeBytes = stats ? stats.bavail * stats.bsize : undefined;
    if (/No space left/i.test(exit.stderrTail) || (freeBytes !== undefined && freeBytes < LOW_DISK_BYTES)) {
      this.#log.error({ dir, freeBytes, cause: 'ENOSPC' }, 'no space left on device for this stream: packaging cannot write its segments');
    }
  }

  #scheduleRestart(live: LiveStream, why: string): void {
    const delay = restartDelayMs(this.#failures, this.#d.config.restartMinSeconds, this.#d.config.restartMaxSeconds);
    this.#d.registry.update(this.#d.key, { packaging: 'restarting' });
    this.#log.warn({ delayMs: delay, failures: this.#failures }, why);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      void this.#enqueue(async () => {
        if (this.#live !== live || this.#child || this.#closed) return;
        await this.#startChild().catch((err: unknown) => {
          // e.g. the data directory became unwritable or full: keep trying at the back-off pace.
          this.#failures += 1;
          this.#log.error({ err: (err as Error).message }, 'cannot restart packaging');
          this.#scheduleRestart(live, 'retrying packaging');
        });
      });
    }, delay);
  }

  async #stopChild(): Promise<void> {
    if (this.#restartTimer) {
      clearTimeout(this.#restartTimer);
      this.#restartTimer = null;
    }
    const child = this.#child;
    if (!child) return;
    this.#child = null;
    const exit = await child.stop();
    this.#log.info({ pid: child.pid(), code: exit.code, signal: exit.signal, ranMs: Date.now() - this.#childStartedAt }, 'ffmpeg exit');
  }

  /** After the last ffmpeg of a publish: a valid, ended playlist and `endedAt`, whatever way ffmpeg ended. */
  async #finalize(): Promise<void> {
    const dir = this.streamDir;
    const playlist = path.join(formatDir(this.#d.dataDir, this.#d.key, 'hls'), OUTPUT_FILES.hlsPlaylist);
    const text = await fs.readFile(playlist, 'utf8').catch(() => null);
    if (text !== null && text.includes('#EXTINF') && !text.includes('#EXT-X-ENDLIST')) {
      // ffmpeg was killed before its trailer: end the playlist ourselves, atomically.
      await writeFileAtomic(playlist, `${text.endsWith('\n') ? text : `${text}\n`}#EXT-X-ENDLIST\n`);
    }
    const infoPath = path.join(dir, STREAM_INFO_FILE);
    const info = await fs.readFile(infoPath, 'utf8').then((t) => JSON.parse(t) as StreamInfoFile).catch(() => null);
    if (info) await writeJsonAtomic(infoPath, { ...info, endedAt: new Date().toISOString() });
    this.#d.registry.update(this.#d.key, { packaging: 'stopped' });
  }

  #scheduleCleanup(): void {
    this.#cancelCleanup();
    if (this.#closed) return;
    this.#cleanupTimer = setTimeout(() => {
      this.#cleanupTimer = null;
      void this.#enqueue(async () => {
        if (this.#live || this.#closed) return;
        await fs.rm(this.streamDir, { recursive: true, force: true });
        this.#log.info('finished stream files removed');
        this.#d.onRetired();
      });
    }, this.#d.config.cleanupDelaySeconds * 1000);
    this.#cleanupTimer.unref();
  }

  #cancelCleanup(): void {
    if (this.#cleanupTimer) {
      clearTimeout(this.#cleanupTimer);
      this.#cleanupTimer = null;
    }
  }
}

async function hasPlaylist(hlsDir: string): Promise<boolean> {
  const text = await fs.readFile(path.join(hlsDir, OUTPUT_FILES.hlsPlaylist), 'utf8').catch(() => '');
  return text.includes('#EXTINF');
}

/** A killed ffmpeg leaves `seg_N.ts.tmp` / `index.m3u8.tmp` behind. */
async function removeTempFiles(dir: string): Promise<void> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.endsWith('.tmp')).map((n) => fs.rm(path.join(dir, n), { force: true })));
}

async function writeFileAtomic(file: string, data: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}

function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}
