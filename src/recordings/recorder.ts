// One recording of a stream: while the stream is live, each finished segment of its HLS output is
// hard-linked into the capture folder (the live window may delete it a few seconds later; the
// link keeps the bytes at no cost in CPU or disk). When the publisher leaves, one ffmpeg run
// (copy, no re-encode) turns the captured segments into the VOD files, which go to the store
// through the upload queue (retried until stored; the live stream never waits for it), and the
// recording's index object is written last. The capture folder stays until the stream retires, so
// a plain republish continues the same recording and the next end builds it again, longer.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CacheControlConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import { vodPolicy } from '../origin/cache-policy.js';
import { spawnFfmpeg, type FfmpegChild } from '../packager/ffmpeg-process.js';
import { streamId, type StreamKey } from '../streams/stream-key.js';
import type { UploadQueue } from '../storage/upload-queue.js';
import {
  CAPTURE_FILES,
  HLS_FILES,
  RECORDING_CAPTURE_FOLDER,
  formatDir,
  isRecordingId,
  recordingCaptureDir,
  recordingId,
  recordingIndexKey,
  scanStreamDirs,
  vodFileKind,
  vodKey,
} from '../timeline/output-layout.js';
import type { RecordingInfo } from './catalogue.js';
import { captureStateSchema, concatList, parseLivePlaylist, vodBuildInvocation, type CaptureState } from './capture-rules.js';

export interface RecorderDeps {
  dataDir: string;
  ffmpegPath: string;
  segmentSeconds: number;
  queue: UploadQueue;
  cache: CacheControlConfig;
  log: Logger;
  /** Every recording not yet discarded: the packager's close stops them all (no build outlives the server). */
  active: Set<Recorder>;
}

/** How often a live recording looks for newly finished segments (well inside the live window's margin). */
const POLL_MS = 1000;

export class Recorder {
  readonly key: StreamKey;
  readonly id: string;
  readonly dir: string;
  readonly #d: RecorderDeps;
  readonly #log: Logger;
  #state: CaptureState;
  readonly #seen: Set<string>;
  #timer: NodeJS.Timeout | null = null;
  #polling: Promise<void> = Promise.resolve();
  /** Builds run one after another. */
  #builds: Promise<void> = Promise.resolve();
  #child: FfmpegChild | null = null;
  #missed = false;
  #closed = false;

  private constructor(deps: RecorderDeps, key: StreamKey, state: CaptureState, seen: Iterable<string>) {
    this.#d = deps;
    this.key = key;
    this.id = state.id;
    this.dir = recordingCaptureDir(deps.dataDir, key, state.id);
    this.#state = state;
    this.#seen = new Set([...seen, ...state.segments.map((s) => s.from)]);
    this.#log = deps.log.child({ stream: streamId(key), recording: state.id });
    deps.active.add(this);
  }

  /**
   * A new recording. Segments the live playlist already lists belong to an earlier publish
   * (a plain republish continues the live playlist) and are not part of it.
   */
  static async create(deps: RecorderDeps, key: StreamKey, startedAt: Date): Promise<Recorder> {
    const id = recordingId(startedAt, randomBytes(4).toString('hex'));
    const earlier = (await readLiveSegments(deps.dataDir, key)).map((s) => s.name);
    const state: CaptureState = { app: key.app, name: key.name, id, startedAt: startedAt.toISOString(), segments: [], builtSegments: 0 };
    const r = new Recorder(deps, key, state, earlier);
    await fs.mkdir(path.join(r.dir, CAPTURE_FILES.sourceFolder), { recursive: true });
    await r.#saveState();
    r.#log.info('recording started');
    return r;
  }

  /** A capture folder left by an earlier run (a crash or a shutdown mid-event). */
  static async resume(deps: RecorderDeps, key: StreamKey, id: string): Promise<Recorder | undefined> {
    const dir = recordingCaptureDir(deps.dataDir, key, id);
    const text = await fs.readFile(path.join(dir, CAPTURE_FILES.state), 'utf8').catch(() => null);
    if (text === null) return undefined;
    let parsed;
    try {
      parsed = captureStateSchema.safeParse(JSON.parse(text));
    } catch {
      return undefined;
    }
    if (!parsed.success || parsed.data.id !== id || parsed.data.app !== key.app || parsed.data.name !== key.name) return undefined;
    return new Recorder(deps, key, parsed.data, []);
  }

  /** Every captured segment is in the store. */
  get built(): boolean {
    return this.#state.segments.length > 0 && this.#state.builtSegments === this.#state.segments.length;
  }

  /** Starts (or, for a plain republish, continues) capturing the live output. */
  startCapture(): void {
    if (this.#closed || this.#timer) return;
    delete this.#state.endedAt;
    this.#timer = setInterval(() => {
      this.#polling = this.#polling
        .then(() => this.#poll())
        .catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, 'recording capture failed'));
    }, POLL_MS);
    this.#timer.unref();
  }

  /** The publisher left: capture what is left, then build and store the VOD files (in the background of the caller). */
  finish(): Promise<void> {
    // A capture resumed after a restart keeps the end its last publish had.
    if (this.#timer || this.#state.endedAt === undefined) this.#state.endedAt = new Date().toISOString();
    this.#stopTimer();
    const build = this.#builds.then(async () => {
      await (this.#polling = this.#polling.then(() => this.#poll()));
      await this.#build();
    });
    this.#builds = build.catch((err: unknown) => {
      this.#log.error(
        { err: (err as Error).message },
        'recording could not be built or stored: its capture stays on disk and is retried at the next start',
      );
    });
    return this.#builds;
  }

  /** The stream retired: once the last build is stored, the capture folder goes. */
  async discard(): Promise<void> {
    this.#stopTimer();
    await this.#builds;
    if (this.#closed) return;
    this.#d.active.delete(this);
    if (this.#state.segments.length > 0 && this.#state.builtSegments !== this.#state.segments.length) return; // kept for the next start
    await fs.rm(this.dir, { recursive: true, force: true });
    await fs.rmdir(path.dirname(this.dir)).catch(() => undefined); // `recordings/` when it is empty
  }

  /** Server shutdown: no new work; a build in progress is stopped (the capture is rebuilt at the next start). */
  async close(): Promise<void> {
    const capturing = this.#timer !== null;
    this.#stopTimer();
    const child = this.#child;
    child?.kill();
    await child?.exited;
    // The live output is removed at the next start: take its last segments now (the supervisor
    // has stopped ffmpeg before this), so the recording built then is the whole event.
    if (capturing && !this.#closed) {
      this.#state.endedAt = new Date().toISOString();
      await (this.#polling = this.#polling.then(() => this.#poll())).catch(() => undefined);
    }
    this.#closed = true;
    this.#d.active.delete(this);
    await this.#polling.catch(() => undefined);
    await this.#saveState().catch(() => undefined);
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #saveState(): Promise<void> {
    const file = path.join(this.dir, CAPTURE_FILES.state);
    const tmp = `${file}.tmp`;
    await fs.writeFile(tmp, `${JSON.stringify(this.#state)}\n`);
    await fs.rename(tmp, file);
  }

  /** Links every newly finished live segment into the capture. */
  async #poll(): Promise<void> {
    if (this.#closed) return;
    const listed = await readLiveSegments(this.#d.dataDir, this.key);
    const hlsDir = formatDir(this.#d.dataDir, this.key, 'hls');
    let added = 0;
    for (const seg of listed.filter((s) => !this.#seen.has(s.name))) {
      this.#seen.add(seg.name);
      const n = this.#state.segments.length;
      const to = path.join(this.dir, CAPTURE_FILES.source(n));
      try {
        await linkOrCopy(path.join(hlsDir, seg.name), to);
      } catch (err) {
        // Gone before we saw it (the window moved on): the recording has a gap, marked as such.
        this.#missed = true;
        this.#log.warn({ segment: seg.name, err: (err as Error).message }, 'recording missed a segment');
        continue;
      }
      this.#state.segments.push({ from: seg.name, duration: seg.duration, discontinuity: seg.discontinuity || this.#missed || n === 0 });
      this.#missed = false;
      added++;
    }
    if (added > 0) await this.#saveState();
  }

  async #build(): Promise<void> {
    const s = this.#state;
    if (this.#closed) return;
    if (s.segments.length === 0) {
      this.#log.warn('recording has no segments: nothing to store');
      return;
    }
    if (s.builtSegments === s.segments.length) return;
    const count = s.segments.length;
    const outDir = path.join(this.dir, CAPTURE_FILES.outputFolder);
    await fs.rm(outDir, { recursive: true, force: true });
    await fs.mkdir(outDir, { recursive: true });
    await fs.writeFile(
      path.join(this.dir, CAPTURE_FILES.concatList),
      concatList(
        count,
        s.segments.map((x) => x.duration),
      ),
    );
    const t0 = Date.now();
    const child = spawnFfmpeg(
      this.#d.ffmpegPath,
      vodBuildInvocation({ captureDir: this.dir, segmentSeconds: this.#d.segmentSeconds }),
      (line) => this.#log.debug({ ffmpeg: line }, 'ffmpeg stderr'),
    );
    this.#child = child;
    const exit = await child.exited;
    this.#child = null;
    if (this.#closed) return;
    if (exit.code !== 0)
      throw new Error(`ffmpeg exited ${exit.code ?? exit.signal}: ${exit.spawnError ?? exit.stderrTail.split('\n').slice(-3).join(' | ')}`);

    const files = (await fs.readdir(outDir)).filter((f) => vodFileKind(f) !== undefined).sort();
    let totalBytes = 0;
    let mp4Bytes = 0;
    const uploads: Promise<void>[] = [];
    for (const f of files) {
      const file = path.join(outDir, f);
      const { size } = await fs.stat(file);
      totalBytes += size;
      if (vodFileKind(f) === 'vod-mp4') mp4Bytes = size;
      uploads.push(this.#upload(vodKey(this.key, this.id, f), vodFileKind(f)!, { file }));
    }
    if (mp4Bytes === 0) throw new Error('ffmpeg wrote no MP4');
    await Promise.all(uploads);
    const info: RecordingInfo = {
      id: this.id,
      app: this.key.app,
      stream: this.key.name,
      start: s.startedAt,
      end: s.endedAt ?? new Date().toISOString(),
      duration: Math.round(s.segments.slice(0, count).reduce((a, x) => a + x.duration, 0) * 1000) / 1000,
      size: mp4Bytes,
      totalBytes,
      segments: count,
    };
    // Last: the recording is listed only once every file of it is stored.
    await this.#upload(recordingIndexKey(this.id), undefined, { body: Buffer.from(`${JSON.stringify(info, null, 2)}\n`) });
    s.builtSegments = count;
    await this.#saveState();
    await fs.rm(outDir, { recursive: true, force: true });
    this.#log.info(
      { duration: info.duration, size: info.size, files: files.length, buildMs: Date.now() - t0, store: this.#d.queue.store.description },
      'recording stored',
    );
  }

  #upload(key: string, kind: ReturnType<typeof vodFileKind>, source: { file: string } | { body: Buffer }): Promise<void> {
    const policy = kind ? vodPolicy(kind, this.#d.cache) : { contentType: 'application/json', cacheControl: 'no-cache' };
    const r = this.#d.queue.enqueue({ key, contentType: policy.contentType, options: { cacheControl: policy.cacheControl }, source });
    if (!r.ok) return Promise.reject(new Error(`cannot store ${key}: ${r.reason}`));
    return r.value;
  }
}

/** The live HLS output's finished segments (following a master playlist to its first variant). */
async function readLiveSegments(dataDir: string, key: StreamKey) {
  const hlsDir = formatDir(dataDir, key, 'hls');
  // With an ABR ladder there is no single media playlist: the recording keeps the source rung's.
  const text =
    (await fs.readFile(path.join(hlsDir, HLS_FILES.playlist), 'utf8').catch(() => '')) ||
    (await fs.readFile(path.join(hlsDir, HLS_FILES.rungPlaylist('source')), 'utf8').catch(() => ''));
  const top = parseLivePlaylist(text);
  if (top.variant === undefined) return top.segments;
  const variantText = await fs.readFile(path.join(hlsDir, ...top.variant.split('/')), 'utf8').catch(() => '');
  const folder = path.posix.dirname(top.variant);
  return parseLivePlaylist(variantText).segments.map((s) => ({ ...s, name: folder === '.' ? s.name : `${folder}/${s.name}` }));
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await fs.link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A filesystem without hard links (or across devices): a copy costs disk but records the same.
    if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP') await fs.copyFile(from, to);
    else throw err;
  }
}

/**
 * At start-up: every capture an earlier run left (it stopped mid-event, or before a build was
 * stored) is built and stored now, then removed. Runs in the background; `close` stops it.
 */
export function recoverRecordings(deps: RecorderDeps): { done: Promise<void>; close: () => Promise<void> } {
  let current: Recorder | undefined;
  let closed = false;
  const done = (async () => {
    for (const entry of await scanStreamDirs(deps.dataDir)) {
      if (entry.kind !== 'stream') continue;
      const ids = await fs.readdir(path.join(entry.path, RECORDING_CAPTURE_FOLDER)).catch(() => [] as string[]);
      for (const id of ids.filter(isRecordingId)) {
        if (closed) return;
        const r = await Recorder.resume(deps, entry.key, id);
        if (!r) continue;
        current = r;
        if (r.built) {
          await r.discard();
          continue;
        }
        deps.log.info({ stream: streamId(entry.key), recording: id }, 'finishing a recording an earlier run left');
        await r.finish();
        await r.discard();
      }
    }
  })().catch((err: unknown) => deps.log.error({ err: (err as Error).message }, 'recovering earlier recordings failed'));
  return {
    done,
    close: async () => {
      closed = true;
      await current?.close();
      await done;
    },
  };
}
