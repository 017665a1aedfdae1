// One supervisor per stream key: runs the stream's ffmpeg while it is live, restarts it with
// back-off when it dies under a live publisher, stops it gracefully when the publisher leaves,
// and removes the stream's files a while after the end (unless the stream comes back).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PackagerConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import type { LiveRegistry, LiveStream } from '../streams/registry.js';
import { streamId, type StreamKey } from '../streams/stream-key.js';
import {
  dvrPrefix,
  dvrRunOfKey,
  formatDir,
  HDS_FILES,
  HLS_FILES,
  SMOOTH_FILES,
  cmafVideoTrackId,
  STREAM_INFO_FILE,
  streamDir,
  type StreamInfoFile,
  type StreamRungInfo,
  tsDvrRun,
} from '../timeline/output-layout.js';
import { isAbr, planLadder, sourceNominalKbps, type PlannedRung } from './abr-ladder.js';
import {
  cmafTrackIds,
  needsAudioTranscode,
  needsVideoTranscode,
  packagingInvocation,
  rtmpInputUrl,
  invocationArgv,
} from './ffmpeg-args.js';
import { spawnFfmpeg, type FfmpegChild, type FfmpegExit } from './ffmpeg-process.js';
import type { TimelineStore } from '../timeline/stream-timeline.js';
import { dvrSegmentCount } from '../timeline/dvr-window.js';
import { removeLiveOutput } from './leftovers.js';
import { Recorder, type RecorderDeps } from '../recordings/recorder.js';
import type { UploadQueue } from '../storage/upload-queue.js';
import { TsDvrArchive } from '../timeline/dvr-ts-archive.js';
import { sweepDvrRuns } from '../timeline/dvr-sweep.js';

/** With a store other than the data directory (an S3 bucket): where the TS DVR window goes. */
export interface TsDvrDeps {
  /** The store's upload queue (retries with back-off, bounded). */
  queue: UploadQueue;
  /** Newest segments of each TS playlist that stay on disk only (packager.dvrMemorySegments). */
  liveEdgeSegments: number;
  /** Cache-Control stored with each segment (the origin's for TS segments). */
  cacheControl: string;
  /** How often the archive reads the playlists, ms. */
  pollMs: number;
}

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
  /** Where the CMAF output goes (LL-HLS and DASH); absent: no CMAF output. */
  timelines?: TimelineStore;
  /** What a recording needs (the store's upload queue…); absent: nothing is recorded. */
  recordings?: RecorderDeps;
  /** Absent: the TS DVR window stays on disk (the data-directory store) and ffmpeg deletes it. */
  tsDvr?: TsDvrDeps;
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
/** How often a running ffmpeg's free disk space is checked (packager.minFreeDiskBytes). */
const DISK_CHECK_MS = 1000;

/** Pure: what ffmpeg's trailer wrote that tells players a stream ended (HLS, HDS, Smooth). */
export function endOfStreamMarks(files: { hlsPlaylist?: string | null; hdsManifest?: string | null; smoothManifest?: string | null }): {
  hls: boolean;
  hds: boolean;
  smooth: boolean;
} {
  return {
    hls: !!files.hlsPlaylist && /^#EXT-X-ENDLIST[ \t]*\r?$/m.test(files.hlsPlaylist),
    // A live f4m says `<streamType>live</streamType>`; the trailer's says `recorded`.
    hds: !!files.hdsManifest && /<streamType>/.test(files.hdsManifest) && !/<streamType>\s*live\s*<\/streamType>/.test(files.hdsManifest),
    // A live Smooth manifest carries IsLive="true"; the trailer's does not.
    smooth: !!files.smoothManifest && /<SmoothStreamingMedia/.test(files.smoothManifest) && !/IsLive="true"/i.test(files.smoothManifest),
  };
}

/** A start refused for lack of room: retried with back-off, like an ffmpeg that died. */
function diskLowError(dir: string, freeBytes: number, min: number): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(
    `no space left on device: ${freeBytes} bytes free in ${dir}, below packager.minFreeDiskBytes (${min})`,
  );
  err.code = 'ENOSPC';
  return err;
}
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
  /** The stream's current recording, while it may still be continued. */
  #recorder: Recorder | null = null;
  /** The HLS media playlists of the current (or last) run: `index.m3u8`, or one per ABR rung. */
  #hlsPlaylists: string[] = [HLS_FILES.playlist];
  /** The TS DVR window in the store, while the stream's `hls/` folder lives (tsDvr only). */
  #tsArchive: TsDvrArchive | null = null;

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
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC' && this.#live === stream && !this.#closed) {
          // A full disk may empty again: keep trying at the back-off pace.
          this.#failures = 1;
          this.#log.error(
            { err: (err as Error).message, dir: this.streamDir, cause: 'ENOSPC' },
            'cannot package stream: no space left on device',
          );
          this.#scheduleRestart(stream, 'retrying packaging once there is room');
          return;
        }
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
      await this.#disposeTsArchive();
      await removeLiveOutput(dir);
      this.#d.timelines?.delete(streamId(this.#d.key));
    }
    await fs.mkdir(dir, { recursive: true });
    const archive = this.#openTsArchive();
    const info: StreamInfoFile = {
      app: stream.key.app,
      name: stream.key.name,
      ...(stream.event !== undefined ? { event: stream.event } : {}),
      startedAt: stream.startedAt.toISOString(),
      ...(archive ? { tsDvrRun: archive.run } : {}),
    };
    await writeJsonAtomic(path.join(dir, STREAM_INFO_FILE), info);
    if (archive) this.#sweepEarlierRuns();
    // A recording that cannot start (its folder unwritable) is logged; the live stream goes on.
    await this.#startRecording(stream).catch((err: unknown) =>
      this.#log.error({ err: (err as Error).message }, 'cannot record this stream'),
    );
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
      // The VOD build runs beside the supervisor: a republish does not wait for it.
      void this.#recorder?.finish();
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
      // What is stored stays: the next publish of the stream (here or after a restart) sweeps it.
      await this.#tsArchive?.stop();
      // A recording cut short by a shutdown is built at the next start (recoverRecordings).
      // (Earlier recordings still building are stopped by the packager's close, RecorderDeps.active.)
      await this.#recorder?.close();
    });
  }

  /** The TS DVR archive of the stream's `hls/` folder, created with it (a plain republish continues both). */
  #openTsArchive(): { run: string } | undefined {
    const deps = this.#d.tsDvr;
    if (!deps) return undefined;
    if (!this.#tsArchive) {
      const run = tsDvrRun(Date.now());
      this.#tsArchive = new TsDvrArchive({
        hlsDir: formatDir(this.#d.dataDir, this.#d.key, 'hls'),
        prefix: dvrPrefix(this.#d.key, run),
        queue: deps.queue,
        liveEdgeSegments: deps.liveEdgeSegments,
        marginSegments: this.#d.config.extraWindowSegments,
        cacheControl: deps.cacheControl,
        pollMs: deps.pollMs,
        log: this.#log,
      });
    }
    this.#tsArchive.start();
    return { run: dvrRunOfKey(this.#d.key, this.#tsArchive.prefix)! };
  }

  /** The run's `hls/` folder is going: stop following it; its objects leave the store in the background (an outage must not hold up a publish). */
  async #disposeTsArchive(): Promise<void> {
    const a = this.#tsArchive;
    this.#tsArchive = null;
    await a?.stop();
    void a?.dispose();
  }

  /**
   * The stream is published here, so its DVR objects in the store are this origin's: those of runs
   * not live in this process (a run before a restart or a crash) are deleted, in the background
   * (a store outage must not delay the live stream; the next publish sweeps again).
   */
  #sweepEarlierRuns(): void {
    const deps = this.#d.tsDvr;
    if (!deps) return;
    const key = this.#d.key;
    const live = () => {
      const runs = new Set<string>();
      for (const prefix of [this.#tsArchive?.prefix, this.#d.timelines?.get(streamId(key))?.archive?.prefix]) {
        const run = prefix !== undefined ? dvrRunOfKey(key, prefix) : undefined;
        if (run !== undefined) runs.add(run);
      }
      return runs;
    };
    void sweepDvrRuns(deps.queue.store, key, live).then(
      (r) => {
        if (r.deleted > 0) this.#log.info({ objects: r.deleted, runs: r.runs }, 'deleted DVR objects of earlier runs from the store');
      },
      (err: unknown) => this.#log.warn({ err: (err as Error).message }, 'DVR store sweep failed: retried at the next publish'),
    );
  }

  /**
   * `?record=1` (or packager.record): a record-mode publish, or the first, starts a new recording;
   * a plain republish continues the current one, as the live playlist continues.
   */
  async #startRecording(stream: LiveStream): Promise<void> {
    const deps = this.#d.recordings;
    if (!deps) return;
    // A record-mode publish starts the live numbering afresh: the current recording ends here, recorded or not.
    if (this.#recorder && stream.recordMode) this.#retireRecorder();
    if (!(stream.record ?? this.#d.config.record)) return;
    if (this.#recorder) {
      this.#recorder.startCapture();
      return this.#d.registry.update(stream.key, { recordingId: this.#recorder.id });
    }
    this.#recorder = await Recorder.create(deps, this.#d.key, stream.startedAt);
    this.#recorder.startCapture();
    this.#d.registry.update(stream.key, { recordingId: this.#recorder.id });
  }

  /**
   * The current recording learns the rungs of the run about to start; a recording of other rungs
   * (a republish whose source has another height) cannot go on, so the run starts a new one.
   */
  async #recordingRungs(stream: LiveStream, rungs: StreamRungInfo[]): Promise<void> {
    const deps = this.#d.recordings;
    if (!deps || !this.#recorder || (await this.#recorder.useRungs(rungs))) return;
    this.#retireRecorder();
    this.#recorder = await Recorder.create(deps, this.#d.key, stream.startedAt);
    await this.#recorder.useRungs(rungs);
    this.#recorder.startCapture();
    this.#d.registry.update(stream.key, { recordingId: this.#recorder.id });
  }

  /** The current recording can no longer be continued: its capture goes once it is stored. */
  #retireRecorder(): void {
    const done = this.#recorder;
    this.#recorder = null;
    void done?.discard();
  }

  /** The pid of the running ffmpeg (tests and benchmarks). */
  ffmpegPid(): number | undefined {
    return this.#child?.pid();
  }

  #timelineOptions() {
    const c = this.#d.config;
    return {
      segmentSeconds: c.segmentSeconds,
      partTargetSeconds: c.cmaf.partSeconds,
      // The DVR window plus the extra segments players a little behind may still ask for; the
      // count bounds memory and store even if segments come out shorter than the target.
      keepSeconds: c.dvrWindowSeconds + c.extraWindowSegments * c.segmentSeconds,
      keepSegments: 2 * dvrSegmentCount(c.dvrWindowSeconds, c.segmentSeconds) + c.extraWindowSegments,
    };
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
    const minFree = config.minFreeDiskBytes;
    const free = minFree > 0 ? await this.#freeBytes() : undefined;
    if (free !== undefined && free < minFree) throw diskLowError(this.streamDir, free, minFree);
    const transcodeVideo = this.#forceTranscode || needsVideoTranscode(live.video?.codec);
    const transcodeAudio = this.#forceTranscode || needsAudioTranscode(live.audio?.codec);
    // The ladder needs the source size: the RTMP metadata's width/height, which node-media-server
    // has from the publisher's onMetaData before the first media (#waitForCodecs waited for it).
    const ladder = planLadder(config.ladder, { width: live.video?.width, height: live.video?.height });
    if (ladder.reason) this.#log.warn({ skipped: ladder.skipped, why: ladder.reason }, 'ABR ladder off for this run: source only');
    else if (ladder.skipped.length) this.#log.info({ skipped: ladder.skipped }, 'ABR rungs at or above the source height skipped');
    const abr = isAbr(ladder.rungs);
    const rungs: PlannedRung[] = abr ? ladder.rungs : [];
    this.#hlsPlaylists = abr ? rungs.map((r) => HLS_FILES.rungPlaylist(r.name)) : [HLS_FILES.playlist];
    const appendHls = !abr && (await hasPlaylist(dirs.hls, HLS_FILES.playlist));
    const appendHlsRungs = new Set<string>();
    for (const r of rungs) if (await hasPlaylist(dirs.hls, HLS_FILES.rungPlaylist(r.name))) appendHlsRungs.add(r.name);
    if (appendHls || appendHlsRungs.size) await removeTempFiles(dirs.hls);
    const rungInfo = rungs.map(rungInfoOf);
    await this.#recordRungs(rungInfo);
    await this.#recordingRungs(live, rungInfo).catch((err: unknown) =>
      this.#log.error({ err: (err as Error).message }, 'cannot record this run'),
    );
    // A CMAF track per stream the publisher sends (both when its codecs are not known yet): an
    // output mapped to a missing stream would stop the whole ffmpeg.
    const known = live.video !== undefined || live.audio !== undefined;
    const cmafKinds: Array<'video' | 'audio'> =
      config.cmaf.enabled && this.#d.timelines
        ? (['video', 'audio'] as const).filter((t) => !known || (t === 'video' ? live.video : live.audio))
        : [];
    if (transcodeVideo || transcodeAudio) {
      this.#log.warn(
        { video: live.video?.codec, audio: live.audio?.codec, transcodeVideo, transcodeAudio },
        'input is not H.264/AAC: transcoding to H.264/AAC',
      );
    }
    const cmaf = cmafKinds.length
      ? {
          partSeconds: config.cmaf.partSeconds,
          tracks: cmafKinds,
          // A re-encode puts key frames every segment; a copied stream is expected to (SPEC 2.3).
          ...(live.video?.fps ? { video: { fps: live.video.fps, gopSeconds: config.segmentSeconds } } : {}),
        }
      : undefined;
    const hasAudio = live.audio !== undefined;
    const inv = packagingInvocation({
      inputUrl: rtmpInputUrl(this.#d.rtmpHost, this.#d.rtmpPort, key.app, key.name),
      workDir: this.streamDir,
      segmentSeconds: config.segmentSeconds,
      windowSegments: config.windowSegments,
      hlsListSize: dvrSegmentCount(config.dvrWindowSeconds, config.segmentSeconds),
      extraWindowSegments: config.extraWindowSegments,
      transcodeVideo,
      transcodeAudio,
      appendHls,
      ...(this.#tsArchive ? { archiveDeletesSegments: true } : {}),
      inputTimeoutSeconds: Math.max(5, config.segmentSeconds * 3),
      ...(live.bitrateKbps ? { transcodeVideoKbps: Math.min(8000, Math.max(500, live.bitrateKbps)) } : {}),
      ...(cmaf ? { cmaf } : {}),
      ...(abr ? { rungs, hasAudio, appendHlsRungs, sourceVideoKbps: sourceNominalKbps(live.bitrateKbps, rungs) } : {}),
    });
    const cmafTracks = cmafTrackIds({ rungs, cmaf, hasAudio });
    this.#d.registry.update(key, { rungs: abr ? rungInfo : undefined });
    // Each CMAF pipe feeds one track of the stream's timeline; a run is one epoch of it.
    const timeline = cmafTracks.length ? this.#d.timelines!.open(streamId(key), this.#timelineOptions(), key) : undefined;
    // ABR rung tracks of an earlier run that this run does not produce (the source's own `video`
    // and `audio` continue across runs as before).
    if (timeline) {
      const stale = timeline.tracks
        .map((t) => t.id)
        .filter((id) => !cmafTracks.includes(id) && id !== cmafVideoTrackId(0) && id !== 'audio');
      if (stale.length) timeline.dropTracks(stale);
    }
    const sinks = cmafTracks.map((t) => timeline!.input(t));
    let child: FfmpegChild | undefined = undefined;
    const onPipeData = (i: number, chunk: Buffer) => {
      const err = sinks[i]?.(chunk);
      if (err !== undefined) {
        // Unparseable CMAF output: this run is useless for LL-HLS/DASH; the restart starts a new epoch.
        this.#log.error({ track: cmafTracks[i], err }, 'bad fMP4 from ffmpeg: restarting packaging');
        child?.kill();
      }
    };
    child = spawnFfmpeg(this.#d.ffmpegPath, inv, (line) => this.#log.debug({ ffmpeg: line }, 'ffmpeg stderr'), onPipeData);
    this.#child = child;
    this.#childStartedAt = Date.now();
    const pid = await child.started;
    this.#log.info({ pid, appendHls, transcoding: transcodeVideo || transcodeAudio, args: invocationArgv(inv).join(' ') }, 'ffmpeg start');
    this.#d.registry.update(key, { packaging: 'running', transcoding: transcodeVideo || transcodeAudio });
    void child.exited.then((exit) => this.#onChildExit(child, exit));
    this.#watchDisk(child);
  }

  /** stream.json names this run's rungs (none without a ladder): the origin's TS master playlist is made from them. */
  async #recordRungs(rungs: StreamRungInfo[]): Promise<void> {
    const infoPath = path.join(this.streamDir, STREAM_INFO_FILE);
    const info = await fs
      .readFile(infoPath, 'utf8')
      .then((t) => JSON.parse(t) as StreamInfoFile)
      .catch(() => null);
    if (!info) return;
    const { rungs: _old, ...rest } = info;
    await writeJsonAtomic(infoPath, rungs.length ? { ...rest, rungs } : rest);
  }

  async #freeBytes(): Promise<number | undefined> {
    const stats = await fs.statfs(this.streamDir).catch(() => null);
    return stats ? stats.bavail * stats.bsize : undefined;
  }

  /**
   * A full disk does not make ffmpeg 5.1 exit: it goes on listing 0-byte segments, and when it
   * does stop, its trailer ends the playlist and finalises the HDS/Smooth manifests. So while it
   * runs, free space is checked every second; below the minimum ffmpeg is killed without a
   * trailer (the last good manifests stay) and restarted with back-off once there is room.
   */
  #watchDisk(child: FfmpegChild): void {
    const min = this.#d.config.minFreeDiskBytes;
    if (min <= 0) return;
    let checking = false;
    const timer = setInterval(() => {
      if (this.#child !== child) return void clearInterval(timer);
      if (checking) return;
      checking = true;
      void this.#freeBytes().then((free) => {
        checking = false;
        if (free === undefined || free >= min || this.#child !== child) return;
        clearInterval(timer);
        this.#log.error(
          { dir: this.streamDir, freeBytes: free, minFreeDiskBytes: min, cause: 'ENOSPC' },
          'disk nearly full: packaging stopped, players keep the last good manifests; restarting once there is room',
        );
        child.kill();
      });
    }, DISK_CHECK_MS);
    timer.unref();
    void child.exited.then(() => clearInterval(timer));
  }

  /**
   * An ffmpeg that stopped while the publisher is live may have written its trailer: take back
   * whatever tells players the stream ended (the stream goes on; HDS and Smooth restart afresh
   * with the next ffmpeg anyway, so a missing manifest for a moment is the honest answer).
   */
  async #withdrawEndOfStream(): Promise<void> {
    const { dataDir, key } = this.#d;
    const hdsDir = formatDir(dataDir, key, 'hds');
    const hds = path.join(hdsDir, HDS_FILES.manifest);
    const mss = path.join(formatDir(dataDir, key, 'mss'), SMOOTH_FILES.manifest);
    const read = (f: string) => fs.readFile(f, 'utf8').catch(() => null);
    const [hdsManifest, smoothManifest] = await Promise.all([read(hds), read(mss)]);
    let withdrewHls = false;
    // Every media playlist of the run (one per ABR rung).
    for (const name of this.#hlsPlaylists) {
      const hls = path.join(formatDir(dataDir, key, 'hls'), name);
      const hlsPlaylist = await read(hls);
      if (hlsPlaylist && endOfStreamMarks({ hlsPlaylist }).hls) {
        await writeFileAtomic(hls, hlsPlaylist.replace(/^#EXT-X-ENDLIST[ \t]*\r?\n?/gm, ''));
        withdrewHls = true;
      }
    }
    const marks = { ...endOfStreamMarks({ hdsManifest, smoothManifest }), hls: withdrewHls };
    if (marks.hds) await fs.rm(hds, { force: true });
    if (marks.smooth) await fs.rm(mss, { force: true });
    if (marks.hls || marks.hds || marks.smooth)
      this.#log.warn({ ...marks }, 'withdrew an end of stream ffmpeg wrote while the publisher is live');
  }

  #onChildExit(child: FfmpegChild, exit: FfmpegExit): void {
    if (this.#child !== child) return; // a stop we asked for: #stopChild logs it
    this.#child = null;
    const ranMs = Date.now() - this.#childStartedAt;
    const live = this.#live;
    const level = live ? 'warn' : 'info';
    this.#log[level](
      { pid: child.pid(), code: exit.code, signal: exit.signal, ranMs, spawnError: exit.spawnError, stderr: exit.stderrTail || undefined },
      'ffmpeg exit',
    );
    if (!live || this.#closed) return;
    if (/Could not find tag for codec|codec not currently supported in container/.test(exit.stderrTail)) {
      // Codecs we could not learn from the RTMP headers in time, and that the containers refuse.
      this.#forceTranscode = true;
    }
    // ffmpeg only says "Input/output error" when a write fails; name a full disk ourselves.
    void this.#reportFullDisk(exit);
    // Exit 0 is an input that ended (the publisher is leaving, its unpublish is on the way): that
    // end is real. Any other exit under a live publisher is not an end of stream.
    if (exit.code !== 0) void this.#enqueue(() => this.#withdrawEndOfStream());
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
    for (const name of this.#hlsPlaylists) {
      const playlist = path.join(formatDir(this.#d.dataDir, this.#d.key, 'hls'), name);
      const text = await fs.readFile(playlist, 'utf8').catch(() => null);
      if (text !== null && text.includes('#EXTINF') && !text.includes('#EXT-X-ENDLIST')) {
        // ffmpeg was killed before its trailer: end the playlist ourselves, atomically.
        await writeFileAtomic(playlist, `${text.endsWith('\n') ? text : `${text}\n`}#EXT-X-ENDLIST\n`);
      }
    }
    const infoPath = path.join(dir, STREAM_INFO_FILE);
    const info = await fs
      .readFile(infoPath, 'utf8')
      .then((t) => JSON.parse(t) as StreamInfoFile)
      .catch(() => null);
    if (info) await writeJsonAtomic(infoPath, { ...info, endedAt: new Date().toISOString() });
    // LL-HLS playlists get #EXT-X-ENDLIST, the MPD becomes static.
    this.#d.timelines?.get(streamId(this.#d.key))?.end();
    this.#d.registry.update(this.#d.key, { packaging: 'stopped' });
  }

  #scheduleCleanup(): void {
    this.#cancelCleanup();
    if (this.#closed) return;
    this.#cleanupTimer = setTimeout(() => {
      this.#cleanupTimer = null;
      void this.#enqueue(async () => {
        if (this.#live || this.#closed) return;
        await this.#disposeTsArchive();
        await removeLiveOutput(this.streamDir);
        this.#d.timelines?.delete(streamId(this.#d.key));
        this.#retireRecorder();
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

async function hasPlaylist(hlsDir: string, name: string): Promise<boolean> {
  const text = await fs.readFile(path.join(hlsDir, name), 'utf8').catch(() => '');
  return text.includes('#EXTINF');
}

/** What stream.json and /api/streams say about a rung. */
function rungInfoOf(r: PlannedRung): StreamRungInfo {
  return {
    name: r.name,
    source: r.source,
    ...(r.width !== undefined ? { width: r.width } : {}),
    ...(r.height !== undefined ? { height: r.height } : {}),
    ...(r.videoKbps !== undefined ? { videoKbps: r.videoKbps } : {}),
    ...(r.audioKbps !== undefined ? { audioKbps: r.audioKbps } : {}),
  };
}

/** A killed ffmpeg leaves `<segment>.tmp` / `<playlist>.tmp` behind (hls_flags temp_file). */
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
