// One recording of a stream: while the stream is live, each finished segment of its HLS output is
// hard-linked into the capture folder (the live window may delete it a few seconds later; the
// link keeps the bytes at no cost in CPU or disk). With an ABR ladder every rung's segments are
// linked, in aligned rows (capture-rules.ts takeAlignedRows). When the publisher leaves, one
// ffmpeg run (copy, no re-encode) turns the captured segments into the VOD files, which go to the
// store through the upload queue (retried until stored; the live stream never waits for it), and
// the recording's index object and list pointers are written last. The capture folder stays until
// the stream retires, so a plain republish continues the same recording and the next end builds
// it again, longer; a republish with other rungs starts a new one (useRungs).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CacheControlConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import { vodPolicy } from '../origin/cache-policy.js';
import { tsCodecs } from '../origin/ts-codecs.js';
import { spawnFfmpeg, type FfmpegChild } from '../packager/ffmpeg-process.js';
import { streamId, type StreamKey } from '../streams/stream-key.js';
import type { UploadQueue } from '../storage/upload-queue.js';
import {
  CAPTURE_FILES,
  HLS_FILES,
  RECORDING_CAPTURE_FOLDER,
  VOD_FILES,
  formatDir,
  hlsRungOfPlaylist,
  isRecordingId,
  recordingCaptureDir,
  recordingId,
  scanStreamDirs,
  vodFileKind,
  vodKey,
  type StreamRungInfo,
} from '../timeline/output-layout.js';
import { recordingIndexObjects, type RecordingInfo, type RecordingRung } from './catalogue.js';
import {
  captureStateSchema,
  concatList,
  parseCutList,
  parseLivePlaylist,
  rungMp4Name,
  sameRungs,
  takeAlignedRows,
  vodBuildInvocation,
  vodLadderBuildInvocation,
  vodMasterPlaylist,
  vodMediaPlaylist,
  vodVariant,
  type BuiltRung,
  type CaptureState,
  type ListedSegment,
} from './capture-rules.js';

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
  #saving: Promise<void> = Promise.resolve();
  /** Per capture lane (capturedLanes), the new segments not yet taken in a complete row. */
  #waiting: ListedSegment[][] = [];
  /** The end of the last publish, kept while a republish may still turn out to need a new recording. */
  #endedBefore: string | undefined;

  private constructor(deps: RecorderDeps, key: StreamKey, state: CaptureState, seen: Iterable<string>) {
    this.#d = deps;
    this.key = key;
    this.id = state.id;
    this.dir = recordingCaptureDir(deps.dataDir, key, state.id);
    this.#state = state;
    this.#seen = new Set([...seen, ...state.segments.map((s) => s.from)]);
    this.#waiting = capturedLanes(state.rungs ?? []).map(() => []);
    this.#log = deps.log.child({ stream: streamId(key), recording: state.id });
    deps.active.add(this);
  }

  /**
   * A new recording. Segments the live playlist already lists belong to an earlier publish
   * (a plain republish continues the live playlist) and are not part of it.
   */
  static async create(deps: RecorderDeps, key: StreamKey, startedAt: Date): Promise<Recorder> {
    const id = recordingId(startedAt, randomBytes(4).toString('hex'));
    const earlier = await listedLiveSegmentNames(deps.dataDir, key);
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
    // A capture saved before its rungs were known (or by a build without ladders) is ladder-less.
    return new Recorder(deps, key, { ...parsed.data, rungs: parsed.data.rungs ?? [] }, []);
  }

  /** Every captured segment is in the store. */
  get built(): boolean {
    return this.#state.segments.length > 0 && this.#state.builtSegments === this.#state.segments.length;
  }

  /** The ABR rungs this recording captures (empty: none known yet, or no ladder). */
  get rungs(): readonly StreamRungInfo[] {
    return this.#state.rungs ?? [];
  }

  /**
   * The rungs of the run about to start (empty without a ladder), before its ffmpeg writes a
   * segment. A recording takes the rungs of its first run; a later run with the same rungs is
   * captured on, in step. With other rungs (a republish whose source has another height) it
   * cannot go on (capture-rules.ts sameRungs): it stops capturing, keeps the end of its last
   * publish, and answers false; the caller starts a new recording for the new run.
   */
  async useRungs(rungs: readonly StreamRungInfo[]): Promise<boolean> {
    const recorded = this.#state.rungs;
    if (recorded !== undefined && this.#state.segments.length > 0) {
      if (sameRungs(recorded, rungs)) return true;
      this.#stopTimer();
      this.#state.endedAt = this.#endedBefore ?? this.#state.endedAt ?? new Date().toISOString();
      await this.#saveState();
      this.#log.info({ was: recorded.map((r) => r.name), now: rungs.map((r) => r.name) }, 'the rungs changed: this recording ends here');
      return false;
    }
    this.#state.rungs = rungs.map((r) => ({ ...r }));
    this.#waiting = capturedLanes(this.#state.rungs).map(() => []);
    await this.#saveState();
    return true;
  }

  /** Starts (or, for a plain republish, continues) capturing the live output. */
  startCapture(): void {
    if (this.#closed || this.#timer) return;
    this.#endedBefore = this.#state.endedAt;
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

  /** One save at a time (a build and a republish's useRungs may both save): each writes the state as it is then. */
  #saveState(): Promise<void> {
    const save = this.#saving.then(async () => {
      const file = path.join(this.dir, CAPTURE_FILES.state);
      const tmp = `${file}.tmp`;
      await fs.writeFile(tmp, `${JSON.stringify(this.#state)}\n`);
      await fs.rename(tmp, file);
    });
    this.#saving = save.catch(() => undefined);
    return save;
  }

  /** Links every newly finished live segment (of every rung, a row at a time) into the capture. */
  async #poll(): Promise<void> {
    const rungs = this.#state.rungs;
    // Until the run's rungs are known there is no telling which playlists are this recording's.
    if (this.#closed || rungs === undefined) return;
    const lanes = capturedLanes(rungs);
    const hlsDir = formatDir(this.#d.dataDir, this.key, 'hls');
    for (const [i, lane] of lanes.entries()) {
      for (const seg of await readLiveSegments(this.#d.dataDir, this.key, lane)) {
        if (this.#seen.has(seg.name)) continue;
        this.#seen.add(seg.name);
        this.#waiting[i]!.push(seg);
      }
    }
    let added = 0;
    for (const row of takeAlignedRows(this.#waiting)) {
      const n = this.#state.segments.length;
      const linked: string[] = [];
      try {
        for (const [i, seg] of row.entries()) {
          const to = path.join(this.dir, capturedFile(lanes[i]!, n));
          if (n === 0) await fs.mkdir(path.dirname(to), { recursive: true });
          await linkOrCopy(path.join(hlsDir, seg.name), to);
          linked.push(to);
        }
      } catch (err) {
        // Gone before we saw it (the window moved on): the recording has a gap, marked as such,
        // in every rung (a row is all rungs or none, so the rungs stay aligned).
        await Promise.all(linked.map((f) => fs.rm(f, { force: true })));
        this.#missed = true;
        this.#log.warn({ segments: row.map((s) => s.name), err: (err as Error).message }, 'recording missed a segment');
        continue;
      }
      const discontinuity = row.some((s) => s.discontinuity) || this.#missed || n === 0;
      this.#state.segments.push({ from: row[0]!.name, duration: row[0]!.duration, discontinuity });
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
    const rungs = s.rungs ?? [];
    const outDir = path.join(this.dir, CAPTURE_FILES.outputFolder);
    await fs.rm(outDir, { recursive: true, force: true });
    await fs.mkdir(outDir, { recursive: true });
    const durations = s.segments.map((x) => x.duration);
    let invocation;
    if (rungs.length === 0) {
      await fs.writeFile(path.join(this.dir, CAPTURE_FILES.concatList), concatList(count, durations));
      invocation = vodBuildInvocation({ captureDir: this.dir, segmentSeconds: this.#d.segmentSeconds });
    } else {
      for (const r of rungs) {
        const list = concatList(count, durations, (n) => CAPTURE_FILES.rungSource(r.name, n));
        await fs.writeFile(path.join(this.dir, CAPTURE_FILES.rungConcatList(r.name)), list);
      }
      const first = await readHead(path.join(this.dir, CAPTURE_FILES.rungSource(rungs[0]!.name, 0)));
      invocation = vodLadderBuildInvocation({
        captureDir: this.dir,
        segmentSeconds: this.#d.segmentSeconds,
        rungs: rungs.map((r) => r.name),
        audio: tsCodecs(first).audio !== undefined,
        ...(rungs[0]!.width && rungs[0]!.height ? { aspect: { width: rungs[0]!.width, height: rungs[0]!.height } } : {}),
        durations,
      });
    }
    const t0 = Date.now();
    const child = spawnFfmpeg(this.#d.ffmpegPath, invocation, (line) => this.#log.debug({ ffmpeg: line }, 'ffmpeg stderr'));
    this.#child = child;
    const exit = await child.exited;
    this.#child = null;
    if (this.#closed) return;
    if (exit.code !== 0)
      throw new Error(`ffmpeg exited ${exit.code ?? exit.signal}: ${exit.spawnError ?? exit.stderrTail.split('\n').slice(-3).join(' | ')}`);

    // With rungs, the master playlist over the rungs' VOD playlists, from what the build wrote.
    const built = rungs.length === 0 ? [] : await measureRungs(outDir, rungs);
    if (built.length) await fs.writeFile(path.join(outDir, VOD_FILES.playlist), vodMasterPlaylist(built));

    const files = (await fs.readdir(outDir)).filter((f) => vodFileKind(f) !== undefined).sort();
    let totalBytes = 0;
    const sizes = new Map<string, number>();
    const uploads: Promise<void>[] = [];
    for (const f of files) {
      const file = path.join(outDir, f);
      const { size } = await fs.stat(file);
      totalBytes += size;
      sizes.set(f, size);
      uploads.push(this.#upload(vodKey(this.key, this.id, f), vodFileKind(f)!, { file }));
    }
    const mp4Bytes = sizes.get(VOD_FILES.mp4) ?? 0;
    if (mp4Bytes === 0) throw new Error('ffmpeg wrote no MP4');
    const rungInfo: RecordingRung[] = built.map((b, i) => {
      const v = vodVariant(b);
      return {
        name: b.rung.name,
        ...(v.width && v.height ? { width: v.width, height: v.height } : {}),
        bandwidth: v.measured?.peak ?? 0,
        ...(v.measured ? { averageBandwidth: v.measured.average } : {}),
        codecs: b.codecs,
        size: sizes.get(rungMp4Name(rungs, i)) ?? 0,
      };
    });
    if (rungInfo.some((r) => r.size === 0 || r.bandwidth === 0)) throw new Error('ffmpeg wrote a rung without media');
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
      ...(rungInfo.length ? { rungs: rungInfo } : {}),
    };
    // Last: the recording is found only once every file of it is stored, and listed once its index is.
    const { index, pointers } = recordingIndexObjects(info);
    await this.#upload(index.key, undefined, { body: index.body });
    await Promise.all(pointers.map((p) => this.#upload(p.key, undefined, { body: p.body })));
    s.builtSegments = count;
    await this.#saveState();
    await fs.rm(outDir, { recursive: true, force: true });
    this.#log.info(
      {
        duration: info.duration,
        size: info.size,
        rungs: rungs.map((r) => r.name),
        files: files.length,
        buildMs: Date.now() - t0,
        store: this.#d.queue.store.description,
      },
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

/** What a recording captures: one lane per rung, or the one lane `''` (the ladder-less `index.m3u8`). */
function capturedLanes(rungs: readonly StreamRungInfo[]): string[] {
  return rungs.length ? rungs.map((r) => r.name) : [''];
}

function capturedFile(lane: string, n: number): string {
  return lane === '' ? CAPTURE_FILES.source(n) : CAPTURE_FILES.rungSource(lane, n);
}

/** The finished segments one live media playlist of the stream lists: a rung's, or the ladder-less one (`''`). */
async function readLiveSegments(dataDir: string, key: StreamKey, lane: string): Promise<ListedSegment[]> {
  const hlsDir = formatDir(dataDir, key, 'hls');
  const name = lane === '' ? HLS_FILES.playlist : HLS_FILES.rungPlaylist(lane);
  return parseLivePlaylist(await fs.readFile(path.join(hlsDir, name), 'utf8').catch(() => '')).segments;
}

/** Every segment any live media playlist of the stream lists now (every rung's, whichever rungs run next). */
async function listedLiveSegmentNames(dataDir: string, key: StreamKey): Promise<string[]> {
  const hlsDir = formatDir(dataDir, key, 'hls');
  const names = await fs.readdir(hlsDir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names.filter((f) => f === HLS_FILES.playlist || hlsRungOfPlaylist(f) !== undefined)) {
    const text = await fs.readFile(path.join(hlsDir, n), 'utf8').catch(() => '');
    out.push(...parseLivePlaylist(text).segments.map((s) => s.name));
  }
  return out;
}

/** The first 64 KiB of a file: enough for the codec headers of a TS segment (ts-codecs.ts). */
async function readHead(file: string): Promise<Uint8Array> {
  const h = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await h.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await h.close();
  }
}

/** Each rung's VOD media playlist as the build wrote it: its segments' bytes and durations, its codecs. */
async function measureRungs(outDir: string, rungs: readonly StreamRungInfo[]): Promise<BuiltRung[]> {
  const out: BuiltRung[] = [];
  for (const rung of rungs) {
    const listed = parseCutList(await fs.readFile(path.join(outDir, CAPTURE_FILES.rungCutList(rung.name)), 'utf8'));
    if (!listed?.length) throw new Error(`ffmpeg wrote no segment list for rung ${rung.name}`);
    await fs.writeFile(path.join(outDir, VOD_FILES.rungPlaylist(rung.name)), vodMediaPlaylist(listed));
    const segments = [];
    for (const seg of listed) {
      if (vodFileKind(seg.name) !== 'vod-segment') throw new Error(`unexpected VOD segment name ${JSON.stringify(seg.name)}`);
      segments.push({ bytes: (await fs.stat(path.join(outDir, seg.name))).size, duration: seg.duration });
    }
    const c = tsCodecs(await readHead(path.join(outDir, listed[0]!.name)));
    out.push({ rung, segments, codecs: [c.video, c.audio].filter((x): x is string => x !== undefined) });
  }
  return out;
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
