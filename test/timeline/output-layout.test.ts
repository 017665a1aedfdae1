// The output layout, from tables: the folders and names the packager writes and the origin and the
// start-up cleanup read. The literal names here are on purpose: they are the files and URLs that
// players, operators and the README see, so a change to one must show up as a failing row.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  appFolderName,
  appOfFolder,
  CMAF_MASTER,
  CMAF_MPD,
  cmafNames,
  cmafVideoTrackId,
  formatDir,
  formatRelative,
  HDS_FILES,
  HLS_FILES,
  hlsPlaylistOfSegment,
  hlsRungOfPlaylist,
  hlsSegmentNumber,
  hlsSegmentRung,
  isHdsFragmentName,
  isHdsStem,
  isHlsSegmentName,
  isSmoothFragmentPath,
  isSmoothLevelName,
  KEPT_FOLDERS,
  parseCmafFile,
  parseSmoothFragment,
  scanStreamDirs,
  SMOOTH_FILES,
  STREAM_INFO_FILE,
  streamDir,
  streamsRoot,
  type OutputFormat,
} from '../../src/timeline/output-layout.js';

const DATA = '/srv/data';

describe('folders', () => {
  it.each([
    [{ app: 'live', name: 'talk' }, '/srv/data/streams/live/talk'],
    [{ app: 'livepkgr', name: 'a-b_1' }, '/srv/data/streams/livepkgr/a-b_1'],
    // One path segment for the two-level app: cannot collide with app `cfx`, stream `st`.
    [{ app: 'cfx/st', name: 'cam' }, '/srv/data/streams/cfx%2Fst/cam'],
    [{ app: 'cfx', name: 'st' }, '/srv/data/streams/cfx/st'],
  ])('streamDir(%j) = %s', (key, dir) => {
    expect(streamDir(DATA, key)).toBe(dir);
  });

  it('resolves a relative data directory', () => {
    expect(streamDir('data', { app: 'live', name: 'x' })).toBe(path.join(process.cwd(), 'data', 'streams', 'live', 'x'));
    expect(streamsRoot('data')).toBe(path.join(process.cwd(), 'data', 'streams'));
  });

  it.each([
    { app: 'live', name: '../x' },
    { app: 'live', name: '' },
    { app: '..', name: 'x' },
    { app: 'api', name: 'x' },
    { app: 'live', name: 'a/b' },
    { app: 'a/b', name: 'x' },
  ])('refuses the invalid key %j', (key) => {
    expect(() => streamDir(DATA, key)).toThrow(/invalid stream key/);
  });

  it.each<[OutputFormat, string, string]>([
    ['hls', '/srv/data/streams/live/talk/hls', 'hls'],
    ['hds', '/srv/data/streams/live/talk/hds', 'hds'],
    ['mss', '/srv/data/streams/live/talk/mss', 'mss'],
  ])('format %s: %s, %s relative to the stream directory', (format, abs, rel) => {
    expect(formatDir(DATA, { app: 'live', name: 'talk' }, format)).toBe(abs);
    expect(formatRelative(format)).toBe(rel);
  });

  it('paths relative to the stream directory, as ffmpeg is given them', () => {
    expect(formatRelative('hls', HLS_FILES.playlist)).toBe('hls/index.m3u8');
    expect(formatRelative('hls', HLS_FILES.segmentPattern)).toBe('hls/seg_%05d.ts');
  });

  it.each([
    ['live', 'live'],
    ['cfx/st', 'cfx%2Fst'],
  ])('app %s lives in folder %s and back', (app, folder) => {
    expect(appFolderName(app)).toBe(folder);
    expect(appOfFolder(folder)).toBe(app);
  });

  it.each(['%E0%A4%A', 'api', 'a b', 'cfx%2Fst%2Fx', '..', 'README.txt'])('folder %s holds no app', (folder) => {
    expect(appOfFolder(folder)).toBeUndefined();
  });

  it('fixed names', () => {
    expect(STREAM_INFO_FILE).toBe('stream.json');
    expect([...KEPT_FOLDERS].sort()).toEqual(['recordings', 'vod']);
    expect(HLS_FILES.playlist).toBe('index.m3u8');
    expect(HDS_FILES.manifest).toBe('index.f4m');
    expect(SMOOTH_FILES.manifest).toBe('Manifest');
    expect(CMAF_MASTER).toBe('playlist_sfm4s.m3u8');
    expect(CMAF_MPD).toBe('manifest_sfm4s.mpd');
  });
});

describe('HLS names', () => {
  /** What ffmpeg's `%05d` makes of n: printf zero padding to five digits, never truncation. */
  const ffmpegName = (n: number) => HLS_FILES.segmentPattern.replace('%05d', String(n).padStart(5, '0'));

  it.each([0, 1, 42, 99999, 100000, 1234567890])('segment %i: the writer’s name is one the readers number back', (n) => {
    expect(HLS_FILES.segment(n)).toBe(ffmpegName(n));
    expect(isHlsSegmentName(HLS_FILES.segment(n))).toBe(true);
    expect(hlsSegmentNumber(HLS_FILES.segment(n))).toBe(n);
  });

  it.each([
    ['seg_00042.ts', 42],
    ['seg_1.ts', 1],
    ['seg_0000000001.ts', 1],
    ['seg_00001.ts.tmp', undefined],
    ['seg_42.tsx', undefined],
    ['seg_.ts', undefined],
    ['seg_12345678901.ts', undefined],
    ['seg_-1.ts', undefined],
    ['SEG_00001.ts', undefined],
    ['index.m3u8', undefined],
    ['../seg_00001.ts', undefined],
  ])('%s → %s', (name, n) => {
    expect(hlsSegmentNumber(name)).toBe(n);
    expect(isHlsSegmentName(name)).toBe(n !== undefined);
  });
});

describe('HDS names', () => {
  it('ffmpeg’s names for its one stream', () => {
    expect(HDS_FILES.bootstrap('stream0')).toBe('stream0.abst');
    expect(HDS_FILES.fragment('stream0', 7)).toBe('stream0Seg1-Frag7');
    expect(isHdsFragmentName(HDS_FILES.fragment('stream0', 7))).toBe(true);
  });

  it.each([
    ['stream0', true],
    ['stream123', true],
    ['stream1234', false],
    ['stream', false],
    ['streamx', false],
  ])('stem %s: %s', (stem, valid) => {
    expect(isHdsStem(stem)).toBe(valid);
  });

  it.each([
    ['stream0Seg1-Frag1', true],
    ['stream12Seg3-Frag4567890123', true],
    ['stream0Seg1-Frag', false],
    ['stream0Seg1-Frag12345678901', false],
    ['stream0Seg1-Frag1_temp', false],
    ['stream0.abst', false],
  ])('fragment %s: %s', (name, valid) => {
    expect(isHdsFragmentName(name)).toBe(valid);
  });
});

describe('Smooth names', () => {
  it('a level folder and its fragments', () => {
    expect(SMOOTH_FILES.level(2000000)).toBe('QualityLevels(2000000)');
    expect(SMOOTH_FILES.fragment('video', 670000)).toBe('Fragments(video=670000)');
    expect(isSmoothFragmentPath(`${SMOOTH_FILES.level(300000)}/${SMOOTH_FILES.fragment('audio', 0)}`)).toBe(true);
  });

  it.each([
    ['QualityLevels(2000000)', true],
    ['QualityLevels(1234567890123)', false],
    ['QualityLevels()', false],
    ['qualitylevels(1)', false],
  ])('level %s: %s', (name, valid) => {
    expect(isSmoothLevelName(name)).toBe(valid);
  });

  it.each([
    ['Fragments(video=670000)', { type: 'video', start: '670000' }],
    ['Fragments(audio=0)', { type: 'audio', start: '0' }],
    ['Fragments(text=0)', undefined],
    ['Fragments(video=)', undefined],
    ['Fragments(video=123456789012345678901)', undefined],
    ['Fragments(video=1).tmp', undefined],
  ])('fragment %s → %j', (name, parsed) => {
    expect(parseSmoothFragment(name)).toEqual(parsed);
  });

  it.each([
    ['QualityLevels(1)/Fragments(video=0)', true],
    ['QualityLevels(1)/Fragments(video=0)/x', false],
    ['QualityLevels(1)', false],
    ['Fragments(video=0)', false],
    ['../QualityLevels(1)/Fragments(video=0)', false],
  ])('fragment path %s: %s', (rel, valid) => {
    expect(isSmoothFragmentPath(rel)).toBe(valid);
  });
});

describe('CMAF names', () => {
  it.each([
    [cmafNames.playlist('video'), 'chunklist_sfm4s_video.m3u8', { kind: 'cmaf-playlist', track: 'video' }],
    [cmafNames.init('audio', 2), 'init_sfm4s_audio_2.mp4', { kind: 'cmaf-init', track: 'audio', n: 2 }],
    [cmafNames.part('video', 123), 'part_sfm4s_video_123.m4s', { kind: 'cmaf-part', track: 'video', n: 123 }],
    [cmafNames.segment('video1', 9), 'seg_sfm4s_video1_9.m4s', { kind: 'cmaf-segment', track: 'video1', n: 9 }],
  ])('%s round-trips', (made, name, parsed) => {
    expect(made).toBe(name);
    expect(parseCmafFile(name)).toEqual(parsed);
  });

  it('the DASH template expands to the segment names', () => {
    expect(cmafNames.segmentTemplate('audio').replace('$Number$', '5')).toBe(cmafNames.segment('audio', 5));
  });

  it.each([
    'chunklist_sfm4s_.m3u8',
    'chunklist_sfm4s_VIDEO.m3u8',
    'part_sfm4s_video_.m4s',
    'part_sfm4s_video_1234567890123456.m4s',
    'seg_sfm4s_video_1.m4s.tmp',
    'init_sfm4s_video.mp4',
    'seg_00001.ts',
    CMAF_MASTER,
    CMAF_MPD,
  ])('%s is no CMAF media name', (name) => {
    expect(parseCmafFile(name)).toBeUndefined();
  });
});

describe('the disk scan', () => {
  let dataDir: string | undefined;
  afterEach(() => {
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  it('is empty without a streams folder', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'layout-'));
    expect(await scanStreamDirs(dataDir)).toEqual([]);
  });

  it('finds stream directories and planted links, and nothing the packager does not write', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'layout-'));
    const outside = path.join(dataDir, 'outside');
    fs.mkdirSync(outside);
    const root = streamsRoot(dataDir);
    fs.mkdirSync(streamDir(dataDir, { app: 'live', name: 'a' }), { recursive: true });
    fs.mkdirSync(streamDir(dataDir, { app: 'cfx/st', name: 'b' }), { recursive: true });
    fs.symlinkSync(outside, path.join(root, 'live', 'linked'));
    fs.symlinkSync(outside, path.join(root, 'livecf'));
    fs.writeFileSync(path.join(root, 'README.txt'), 'operator notes');
    fs.writeFileSync(path.join(root, 'live', 'file'), 'not a directory');
    fs.mkdirSync(path.join(root, 'live', 'bad name'));
    fs.mkdirSync(path.join(root, 'api', 'x'), { recursive: true });
    const found = (await scanStreamDirs(dataDir)).sort((x, y) => x.path.localeCompare(y.path));
    expect(found).toEqual([
      { kind: 'stream', key: { app: 'cfx/st', name: 'b' }, path: path.join(root, 'cfx%2Fst', 'b') },
      { kind: 'stream', key: { app: 'live', name: 'a' }, path: path.join(root, 'live', 'a') },
      { kind: 'stream-link', key: { app: 'live', name: 'linked' }, path: path.join(root, 'live', 'linked') },
      { kind: 'app-link', app: 'livecf', path: path.join(root, 'livecf') },
    ]);
  });
});

describe('ABR rung names (HLS TS and CMAF)', () => {
  it.each([
    // name, segment number, rung ('' = the ladder-less playlist), playlist it is listed in
    ['seg_00042.ts', 42, '', 'index.m3u8'],
    ['seg_480p_00042.ts', 42, '480p', 'index_480p.m3u8'],
    ['seg_source_00001.ts', 1, 'source', 'index_source.m3u8'],
    ['seg_720_123456.ts', 123456, '720', 'index_720.m3u8'],
    ['seg_480P_00001.ts', undefined, undefined, undefined],
    ['seg_480p_.ts', undefined, undefined, undefined],
    ['seg_a_b_00001.ts', undefined, undefined, undefined],
    ['seg_../_00001.ts', undefined, undefined, undefined],
    ['seg_abcdefghijklmnopq_00001.ts', undefined, undefined, undefined],
    ['seg_sfm4s_video_1.m4s', undefined, undefined, undefined],
  ])('%s', (name, n, rung, playlist) => {
    expect(hlsSegmentNumber(name)).toBe(n);
    expect(isHlsSegmentName(name)).toBe(n !== undefined);
    expect(hlsSegmentRung(name)).toBe(rung);
    expect(hlsPlaylistOfSegment(name)).toBe(playlist);
  });

  it.each([
    ['index_480p.m3u8', '480p'],
    ['index_source.m3u8', 'source'],
    ['index.m3u8', undefined],
    ['index_.m3u8', undefined],
    ['index_480p.m3u8.tmp', undefined],
    ['index_48/0.m3u8', undefined],
    ['Index_480p.m3u8', undefined],
  ])('rung playlist %s → %s', (name, rung) => {
    expect(hlsRungOfPlaylist(name)).toBe(rung);
  });

  it('names a rung writes match the patterns that read them back', () => {
    expect(HLS_FILES.rungSegmentPattern('360p').replace('%05d', '00007')).toBe(HLS_FILES.rungSegment('360p', 7));
    expect(hlsRungOfPlaylist(HLS_FILES.rungPlaylist('360p'))).toBe('360p');
    expect([0, 1, 2, 3].map(cmafVideoTrackId)).toEqual(['video', 'video1', 'video2', 'video3']);
    for (const id of [0, 1, 7].map(cmafVideoTrackId))
      expect(parseCmafFile(cmafNames.playlist(id))).toEqual({ kind: 'cmaf-playlist', track: id });
  });
});
