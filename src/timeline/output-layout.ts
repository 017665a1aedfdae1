// The one owner of a stream's output layout: where each stream's files live under the data
// directory, the folder of each format, the file names and name patterns the packager's muxers
// write (HLS, HDS, Smooth), the CMAF names the timeline's parts and segments are served under,
// `stream.json`, the folders that outlive a live stream, and the scan of what is on disk. The
// packager (writer), the origin and the start-up cleanup (readers) take every name from here, so
// a name changes in one place. Pure except for scanStreamDirs, the one directory walk.
import fs from 'node:fs/promises';
import path from 'node:path';
import { isValidApp, isValidStreamName, type StreamKey } from '../streams/stream-key.js';

// ---------------------------------------------------------------------------------------------
// Folders

/** The folder of the data directory that holds every stream's output (and nothing else). */
export const STREAMS_FOLDER = 'streams';

/** Output formats the packager writes to disk, each in its own folder of the stream directory. */
export type OutputFormat = 'hls' | 'hds' | 'mss';

/** Folder of each format inside the stream directory. */
export const FORMAT_FOLDERS: Readonly<Record<OutputFormat, string>> = { hls: 'hls', hds: 'hds', mss: 'mss' };

/** Folders inside a stream directory that hold recordings: they outlive the live stream. */
export const KEPT_FOLDERS: ReadonlySet<string> = new Set(['recordings', 'vod']);
// RECORDING_CAPTURE_FOLDER (below) is `recordings`: the capture of an event outlives its live output.

/** `<dataDir>/streams`, absolute. */
export function streamsRoot(dataDir: string): string {
  return path.join(path.resolve(dataDir), STREAMS_FOLDER);
}

/**
 * The folder name of an app: URI-encoded, so that `cfx/st` becomes the single segment `cfx%2Fst`
 * and cannot collide with an app `cfx` publishing a stream `st`.
 */
export function appFolderName(app: string): string {
  return encodeURIComponent(app);
}

/** The app an app folder holds, or undefined when the folder is no name the packager writes. */
export function appOfFolder(folder: string): string | undefined {
  let app: string;
  try {
    app = decodeURIComponent(folder);
  } catch {
    return undefined;
  }
  return isValidApp(app) ? app : undefined;
}

/** Directory of one stream's output: `<dataDir>/streams/<app folder>/<name>`. Throws on an invalid key. */
export function streamDir(dataDir: string, key: StreamKey): string {
  if (!isValidApp(key.app) || !isValidStreamName(key.name)) {
    throw new Error(`invalid stream key ${JSON.stringify(key)}`);
  }
  return path.join(streamsRoot(dataDir), appFolderName(key.app), key.name);
}

/** Directory of one format of one stream. */
export function formatDir(dataDir: string, key: StreamKey, format: OutputFormat): string {
  return path.join(streamDir(dataDir, key), FORMAT_FOLDERS[format]);
}

/**
 * A file of a format relative to the stream directory, with POSIX separators: what ffmpeg, which
 * runs in the stream directory, is given (so no character of the data directory reaches it).
 */
export function formatRelative(format: OutputFormat, file?: string): string {
  return file === undefined ? FORMAT_FOLDERS[format] : `${FORMAT_FOLDERS[format]}/${file}`;
}

// ---------------------------------------------------------------------------------------------
// stream.json

/**
 * Written by the packager into the stream directory when packaging starts: lets the origin
 * check a livepkgr URL's event (SPEC ING-01) and describe a finished stream without the registry.
 */
export const STREAM_INFO_FILE = 'stream.json';

export interface StreamInfoFile {
  app: string;
  name: string;
  event?: string;
  startedAt: string; // ISO time
  endedAt?: string;
  /**
   * The ABR rungs of the current run, highest first (absent or one: no ladder). The origin builds
   * the TS master playlist from them; each rung's media playlist is `HLS_FILES.rungPlaylist(name)`.
   */
  rungs?: StreamRungInfo[];
  /**
   * With a store other than the data directory: the run (tsDvrRun) under which the TS segments
   * older than the live edge are in the store; the origin reads a segment from there once its
   * file has left the disk.
   */
  tsDvrRun?: string;
}

export interface StreamRungInfo {
  name: string;
  /** The source rung (copied when the input allows). */
  source: boolean;
  width?: number;
  height?: number;
  /** Target bitrates of a transcoded rung, kbit/s. */
  videoKbps?: number;
  audioKbps?: number;
}

// ---------------------------------------------------------------------------------------------
// HLS (MPEG-TS), in `hls/`

/** An ABR rung's name inside file names (the schema's RUNG_NAME_RE); `source` is the copied rung. */
const RUNG = '([a-z0-9]{1,16})';
const HLS_SEGMENT_RE = new RegExp(`^seg_(?:${RUNG}_)?(\\d{1,10})\\.ts$`);
const HLS_RUNG_PLAYLIST_RE = new RegExp(`^index_${RUNG}\\.m3u8$`);

export const HLS_FILES = {
  /** The one media playlist without a ladder; with one, `playlist.m3u8` is a master over the rungs' playlists. */
  playlist: 'index.m3u8',
  /** ffmpeg's hls_segment_filename: five digits at least, more once the number outgrows them. */
  segmentPattern: 'seg_%05d.ts',
  /** The name ffmpeg gives segment `n` (what segmentPattern expands to). */
  segment: (n: number): string => `seg_${String(n).padStart(5, '0')}.ts`,
  /** The media playlist of one ABR rung (served under the same name). */
  rungPlaylist: (rung: string): string => `index_${rung}.m3u8`,
  rungSegmentPattern: (rung: string): string => `seg_${rung}_%05d.ts`,
  rungSegment: (rung: string, n: number): string => `seg_${rung}_${String(n).padStart(5, '0')}.ts`,
} as const;

/** `seg_00042.ts` → 42, `seg_480p_00042.ts` → 42; undefined for any other name. */
export function hlsSegmentNumber(name: string): number | undefined {
  const m = HLS_SEGMENT_RE.exec(name);
  return m ? Number(m[2]) : undefined;
}

/** The rung a segment belongs to: `seg_480p_00042.ts` → `480p`; '' for a segment of the ladder-less playlist. */
export function hlsSegmentRung(name: string): string | undefined {
  const m = HLS_SEGMENT_RE.exec(name);
  return m ? (m[1] ?? '') : undefined;
}

export function isHlsSegmentName(name: string): boolean {
  return HLS_SEGMENT_RE.test(name);
}

/** `index_480p.m3u8` → `480p`; undefined for any other name. */
export function hlsRungOfPlaylist(name: string): string | undefined {
  return HLS_RUNG_PLAYLIST_RE.exec(name)?.[1];
}

/** The media playlist a segment is listed in: the rung's, or the ladder-less `index.m3u8`. */
export function hlsPlaylistOfSegment(name: string): string | undefined {
  const rung = hlsSegmentRung(name);
  if (rung === undefined) return undefined;
  return rung === '' ? HLS_FILES.playlist : HLS_FILES.rungPlaylist(rung);
}

// ---------------------------------------------------------------------------------------------
// HDS, in `hds/`: ffmpeg's hds muxer names its one stream `stream0`

const HDS_STEM = 'stream\\d{1,3}';
const HDS_BOOTSTRAP_SUFFIX = '.abst';
const HDS_FRAGMENT_RE = new RegExp(`^${HDS_STEM}Seg\\d{1,10}-Frag\\d{1,10}$`);
const HDS_STEM_RE = new RegExp(`^${HDS_STEM}$`);

export const HDS_FILES = {
  manifest: 'index.f4m',
  bootstrapSuffix: HDS_BOOTSTRAP_SUFFIX,
  /** The bootstrap of stream `stem` (`stream0` → `stream0.abst`). */
  bootstrap: (stem: string): string => `${stem}${HDS_BOOTSTRAP_SUFFIX}`,
  /** Fragment `n` of segment 1 of stream `stem` (`stream0Seg1-Frag3`). */
  fragment: (stem: string, n: number): string => `${stem}Seg1-Frag${n}`,
} as const;

/** `stream0` and the like: the stream part of every HDS name. */
export function isHdsStem(stem: string): boolean {
  return HDS_STEM_RE.test(stem);
}

export function isHdsFragmentName(name: string): boolean {
  return HDS_FRAGMENT_RE.test(name);
}

// ---------------------------------------------------------------------------------------------
// Smooth, in `mss/`: `Manifest`, and `QualityLevels(<bitrate>)/Fragments(<type>=<start>)`

const SMOOTH_LEVEL_RE = /^QualityLevels\((\d{1,12})\)$/;
const SMOOTH_FRAGMENT_RE = /^Fragments\((video|audio)=(\d{1,20})\)$/;

export const SMOOTH_FILES = {
  manifest: 'Manifest',
  /** The folder of one quality level. */
  level: (bitrate: string | number): string => `QualityLevels(${bitrate})`,
  fragment: (type: 'video' | 'audio', start: string | number): string => `Fragments(${type}=${start})`,
} as const;

export function isSmoothLevelName(name: string): boolean {
  return SMOOTH_LEVEL_RE.test(name);
}

/** `Fragments(video=670000)` → { type: 'video', start: '670000' }; undefined for any other name. */
export function parseSmoothFragment(name: string): { type: 'video' | 'audio'; start: string } | undefined {
  const m = SMOOTH_FRAGMENT_RE.exec(name);
  return m ? { type: m[1] as 'video' | 'audio', start: m[2] } : undefined;
}

/** `QualityLevels(2000000)/Fragments(video=0)`: a level folder and a fragment in it. */
export function isSmoothFragmentPath(rel: string): boolean {
  const parts = rel.split('/');
  return parts.length === 2 && isSmoothLevelName(parts[0]) && parseSmoothFragment(parts[1]) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// CMAF (LL-HLS and DASH share them), Wowza's `_sfm4s` style. Not on disk: the timeline holds the
// bytes and numbers parts and segments; this is the one place those numbers become names and back.

/** LL-HLS master playlist and DASH manifest names of the Wowza family (the contract). */
export const CMAF_MASTER = 'playlist_sfm4s.m3u8';
export const CMAF_MPD = 'manifest_sfm4s.mpd';

/** A track id: `video`, `audio`, and `video1`… for the ABR rungs below the source (cmafTrackId). */
const TRACK = '([a-z]{1,8}\\d{0,2})';
const NUM = '(\\d{1,15})';
const CMAF_PLAYLIST_RE = new RegExp(`^chunklist_sfm4s_${TRACK}\\.m3u8$`);
const CMAF_INIT_RE = new RegExp(`^init_sfm4s_${TRACK}_${NUM}\\.mp4$`);
const CMAF_PART_RE = new RegExp(`^part_sfm4s_${TRACK}_${NUM}\\.m4s$`);
const CMAF_SEGMENT_RE = new RegExp(`^seg_sfm4s_${TRACK}_${NUM}\\.m4s$`);

export type CmafFile =
  | { kind: 'cmaf-playlist'; track: string }
  | { kind: 'cmaf-init'; track: string; n: number }
  | { kind: 'cmaf-part'; track: string; n: number }
  | { kind: 'cmaf-segment'; track: string; n: number };

export const cmafNames = {
  playlist: (track: string) => `chunklist_sfm4s_${track}.m3u8`,
  init: (track: string, epoch: number) => `init_sfm4s_${track}_${epoch}.mp4`,
  part: (track: string, seq: number) => `part_sfm4s_${track}_${seq}.m4s`,
  segment: (track: string, msn: number) => `seg_sfm4s_${track}_${msn}.m4s`,
  /** DASH SegmentTemplate@media. */
  segmentTemplate: (track: string) => `seg_sfm4s_${track}_$Number$.m4s`,
};

export type CmafNames = typeof cmafNames;

/** The CMAF video track of ABR rung `index` (0 = the source): `video`, `video1`, `video2`, … */
export function cmafVideoTrackId(index: number): string {
  return index === 0 ? 'video' : `video${index}`;
}

/** A CMAF media or media-playlist name, or undefined when `file` is none. */
export function parseCmafFile(file: string): CmafFile | undefined {
  let m = CMAF_PLAYLIST_RE.exec(file);
  if (m) return { kind: 'cmaf-playlist', track: m[1] };
  for (const [re, kind] of [
    [CMAF_INIT_RE, 'cmaf-init'],
    [CMAF_PART_RE, 'cmaf-part'],
    [CMAF_SEGMENT_RE, 'cmaf-segment'],
  ] as const) {
    m = re.exec(file);
    if (m && Number.isSafeInteger(Number(m[2]))) return { kind, track: m[1], n: Number(m[2]) };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Recordings (live-to-VOD). While a recorded event is live its finished HLS segments are
// hard-linked into a capture folder of the stream directory (`recordings/<id>/`, a kept folder);
// when it ends one ffmpeg run turns them into the VOD files, which go to the store under
// `vod/<app>/<stream>/<id>/<file>`: the store key is the URL path, so an S3 bucket holding them
// serves the same URLs as the origin. `recordings/<id>.json` in the store lists one recording.

/** The capture folder's name inside the stream directory (one of KEPT_FOLDERS). */
export const RECORDING_CAPTURE_FOLDER = 'recordings';

/** `20261201T133000Z-9f86d081`: the UTC start of the recording and 32 random bits. */
const RECORDING_ID_RE = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

export function isRecordingId(id: string): boolean {
  return RECORDING_ID_RE.test(id);
}

/** A new recording id; `randomHex` is 8 lower-case hex digits. */
export function recordingId(startedAt: Date, randomHex: string): string {
  const stamp = startedAt
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  const id = `${stamp}-${randomHex}`;
  if (!isRecordingId(id)) throw new Error(`bad recording id ${JSON.stringify(id)}`);
  return id;
}

/** The capture folder of one recording: `<streamDir>/recordings/<id>`. */
export function recordingCaptureDir(dataDir: string, key: StreamKey, id: string): string {
  if (!isRecordingId(id)) throw new Error(`invalid recording id ${JSON.stringify(id)}`);
  return path.join(streamDir(dataDir, key), RECORDING_CAPTURE_FOLDER, id);
}

/** Inside a capture folder: the linked segments, the capture's state, the build's output. */
export const CAPTURE_FILES = {
  sourceFolder: 'src',
  /** The n-th captured segment (its own numbering: the live playlist's may restart). */
  source: (n: number): string => `src/${String(n).padStart(6, '0')}.ts`,
  /** With an ABR ladder: the n-th captured segment of one rung (every rung has the same n for the same time). */
  rungSource: (rung: string, n: number): string => `src/${rung}/${String(n).padStart(6, '0')}.ts`,
  state: 'capture.json',
  concatList: 'segments.ffconcat',
  rungConcatList: (rung: string): string => `segments_${rung}.ffconcat`,
  /** In the build's output folder: what the segment muxer cut of one rung (not a VOD file). */
  rungCutList: (rung: string): string => `cuts_${rung}.csv`,
  outputFolder: 'out',
} as const;

/** The files of a finished recording; the DASH names are the dash muxer's defaults. */
export const VOD_FILES = {
  playlist: 'index.m3u8',
  mpd: 'manifest.mpd',
  mp4: 'recording.mp4',
  /** hls_segment_filename of the VOD playlist. */
  segmentPattern: 'seg_%05d.ts',
  // With an ABR ladder `index.m3u8` is the master over one VOD media playlist per rung, and
  // `recording.mp4` is the top rung's download; every other rung has its own.
  rungPlaylist: (rung: string): string => `index_${rung}.m3u8`,
  rungSegmentPattern: (rung: string): string => `seg_${rung}_%05d.ts`,
  rungMp4: (rung: string): string => `recording_${rung}.mp4`,
} as const;

export type VodFileKind = 'vod-playlist' | 'vod-mpd' | 'vod-mp4' | 'vod-segment' | 'vod-init' | 'vod-chunk';

const VOD_NAME_KINDS: ReadonlyArray<[RegExp, VodFileKind]> = [
  [/^index(?:_[a-z0-9]{1,16})?\.m3u8$/, 'vod-playlist'],
  [/^manifest\.mpd$/, 'vod-mpd'],
  [/^recording(?:_[a-z0-9]{1,16})?\.mp4$/, 'vod-mp4'],
  [/^seg_(?:[a-z0-9]{1,16}_)?\d{5,10}\.ts$/, 'vod-segment'],
  [/^init-stream\d{1,2}\.m4s$/, 'vod-init'],
  [/^chunk-stream\d{1,2}-\d{5,10}\.m4s$/, 'vod-chunk'],
];

/** What a VOD file name is, or undefined for any name the build does not write. */
export function vodFileKind(name: string): VodFileKind | undefined {
  return VOD_NAME_KINDS.find(([re]) => re.test(name))?.[1];
}

export const VOD_PREFIX = 'vod';
export const RECORDING_INDEX_PREFIX = 'recordings/';

/** `vod/<app>/<stream>/<id>/` (the app `cfx/st` stays two segments, as in live URLs), or a file in it. */
export function vodKey(key: StreamKey, id: string, file?: string): string {
  if (!isValidApp(key.app) || !isValidStreamName(key.name) || !isRecordingId(id)) throw new Error('invalid recording key');
  if (file !== undefined && vodFileKind(file) === undefined) throw new Error(`not a VOD file name ${JSON.stringify(file)}`);
  return `${VOD_PREFIX}/${key.app}/${key.name}/${id}/${file ?? ''}`;
}

/** `recordings/<id>.json`: the store's list of recordings. */
export function recordingIndexKey(id: string): string {
  if (!isRecordingId(id)) throw new Error(`invalid recording id ${JSON.stringify(id)}`);
  return `${RECORDING_INDEX_PREFIX}${id}.json`;
}

/** The recording id of an index key, or undefined. */
export function recordingIdOfIndexKey(key: string): string | undefined {
  const m = /^recordings\/([^/]+)\.json$/.exec(key);
  return m && isRecordingId(m[1]!) ? m[1] : undefined;
}

export interface VodRoute {
  key: StreamKey;
  id: string;
  file: string;
  kind: VodFileKind;
}

/** The decoded segments of a URL path after `vod/`: `[app…, stream, id, file]`, or undefined for anything else. */
export function parseVodSegments(segs: readonly string[]): VodRoute | undefined {
  if (segs.length !== 4 && segs.length !== 5) return undefined;
  const app = segs.slice(0, -3).join('/');
  const [name, id, file] = segs.slice(-3) as [string, string, string];
  if (!isValidApp(app) || !isValidStreamName(name) || !isRecordingId(id)) return undefined;
  const kind = vodFileKind(file);
  return kind ? { key: { app, name }, id, file, kind } : undefined;
}

// ---------------------------------------------------------------------------------------------
// The disk scan

/** What sits in `<dataDir>/streams` where the packager writes: app and stream directories, or links planted there. */
export type StreamDirEntry =
  | { kind: 'stream'; key: StreamKey; path: string }
  /** A symlink where a stream directory belongs. */
  | { kind: 'stream-link'; key: StreamKey; path: string }
  /** A symlink where an app directory belongs (not descended into). */
  | { kind: 'app-link'; app: string; path: string };

/**
 * Every stream directory under `<dataDir>/streams`, and every symlink planted where an app or
 * stream directory belongs. Names the packager never writes (an operator's notes, an invalid app
 * or stream name) are skipped; so is anything that is neither a directory nor a symlink. A
 * missing or unreadable folder counts as empty.
 */
export async function scanStreamDirs(dataDir: string): Promise<StreamDirEntry[]> {
  const root = streamsRoot(dataDir);
  const out: StreamDirEntry[] = [];
  for (const a of await fs.readdir(root, { withFileTypes: true }).catch(() => [])) {
    const app = appOfFolder(a.name);
    if (app === undefined) continue;
    const appDir = path.join(root, a.name);
    if (a.isSymbolicLink()) {
      out.push({ kind: 'app-link', app, path: appDir });
      continue;
    }
    if (!a.isDirectory()) continue;
    for (const n of await fs.readdir(appDir, { withFileTypes: true }).catch(() => [])) {
      if (!isValidStreamName(n.name)) continue;
      const key = { app, name: n.name };
      const dir = path.join(appDir, n.name);
      if (n.isSymbolicLink()) out.push({ kind: 'stream-link', key, path: dir });
      else if (n.isDirectory()) out.push({ kind: 'stream', key, path: dir });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// DVR: finished CMAF segments older than the in-memory live edge, in the object store (rooted at
// the data directory, or a bucket prefix). One folder per timeline (`run`), so a stream that starts
// afresh never has its new objects removed by the clean-up of the old ones.

/** Folder of a stream directory (and store prefix) holding its DVR segments; live output, removed with it. */
export const DVR_FOLDER = 'dvr';

/** Store prefix of one timeline's DVR segments: `streams/<app folder>/<name>/dvr/<run>/`. */
export function dvrPrefix(key: StreamKey, run: string): string {
  if (!isValidApp(key.app) || !isValidStreamName(key.name) || !/^[a-z0-9]{1,16}$/.test(run)) {
    throw new Error(`invalid DVR location ${JSON.stringify({ ...key, run })}`);
  }
  return `${STREAMS_FOLDER}/${appFolderName(key.app)}/${key.name}/${DVR_FOLDER}/${run}/`;
}

/** Store key of one DVR segment: the prefix and the segment's served name. */
export function dvrSegmentKey(prefix: string, track: string, msn: number): string {
  return `${prefix}${cmafNames.segment(track, msn)}`;
}

/** Store prefix of every DVR run of one stream: `streams/<app folder>/<name>/dvr/` (what a publish sweeps). */
export function dvrStreamPrefix(key: StreamKey): string {
  if (!isValidApp(key.app) || !isValidStreamName(key.name)) throw new Error(`invalid stream key ${JSON.stringify(key)}`);
  return `${STREAMS_FOLDER}/${appFolderName(key.app)}/${key.name}/${DVR_FOLDER}/`;
}

/** The run a store key of `dvrStreamPrefix(key)` belongs to, or undefined for a key outside any run. */
export function dvrRunOfKey(key: StreamKey, storeKey: string): string | undefined {
  const prefix = dvrStreamPrefix(key);
  if (!storeKey.startsWith(prefix)) return undefined;
  const run = storeKey.slice(prefix.length).split('/')[0]!;
  return /^[a-z0-9]{1,16}$/.test(run) ? run : undefined;
}

/**
 * The run id of a stream's TS DVR window in the store: `t` and the start time in base 36. CMAF runs
 * are the bare base-36 time (StreamTimeline), one character shorter, so the two never share a folder
 * (each is deleted whole when its window ends).
 */
export function tsDvrRun(startedMs: number): string {
  return `t${Math.floor(startedMs).toString(36)}`;
}

export function isTsDvrRun(run: string): boolean {
  return /^t[a-z0-9]{1,15}$/.test(run);
}

/** Store key of one finished TS segment of a DVR run (`seg_00042.ts`, `seg_480p_00042.ts`): the prefix and its served name. */
export function tsDvrSegmentKey(prefix: string, name: string): string {
  if (!isHlsSegmentName(name)) throw new Error(`not an HLS segment name ${JSON.stringify(name)}`);
  return `${prefix}${name}`;
}
