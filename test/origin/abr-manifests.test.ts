// Table tests of the pure ABR pieces of the origin: the TS master playlist, the codec strings read
// from TS bytes, per-rung segment readiness, and the URL router's rung names (accepted exactly,
// nothing else).
import { describe, expect, it } from 'vitest';
import { listedTsSegments, measuredBandwidth, tsMasterPlaylist, variantBandwidth, type TsVariant } from '../../src/origin/hls-master.js';
import { isSegmentReady } from '../../src/origin/hls-readiness.js';
import { aacCodecOfAdts, avcCodecOfAnnexB, tsCodecs } from '../../src/origin/ts-codecs.js';
import { diskLocation, manifestPaths, mediaPath, parseMediaPath } from '../../src/origin/url-families.js';

/** One 188-byte TS packet carrying `payload` (padded with an adaptation field). */
function tsPacket(pid: number, payload: number[], start: boolean): number[] {
  const room = 184;
  const body = payload.slice(0, room);
  const header = [0x47, (start ? 0x40 : 0) | (pid >> 8), pid & 0xff];
  if (body.length === room) return [...header, 0x10, ...body];
  const stuffing = room - body.length - 1; // adaptation_field_length
  const af = stuffing > 0 ? [stuffing, 0x00, ...Array<number>(stuffing - 1).fill(0xff)] : [0];
  return [...header, 0x30, ...af, ...body];
}

/** A PES start: 00 00 01 <stream id> <len> <flags> <header length 0>. */
function pes(streamId: number, es: number[]): number[] {
  return [0, 0, 1, streamId, 0, 0, 0x80, 0x00, 0, ...es];
}

const SPS_MAIN_31 = [0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x67, 0x4d, 0x40, 0x1f, 0xac, 0xd9];
const ADTS_LC = [0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc];
const ADTS_HE = [0xff, 0xf1, 0x10, 0x80, 0x02, 0x1f, 0xfc]; // object type 1 (AAC Main) — what the bits say

describe('codec strings from TS bytes', () => {
  it.each([
    ['H.264 Main 3.1 SPS after an AUD', SPS_MAIN_31, 'avc1.4d401f'],
    ['High 4.0 with a 3-byte start code', [0, 0, 1, 0x67, 0x64, 0x00, 0x28], 'avc1.640028'],
    ['no SPS', [0, 0, 1, 0x65, 0x88, 0x84, 0x00], undefined],
    ['too short', [0, 0, 1, 0x67, 0x64], undefined],
  ])('%s', (_l, bytes, want) => expect(avcCodecOfAnnexB(bytes)).toBe(want));

  it.each([
    ['AAC-LC', ADTS_LC, 'mp4a.40.2'],
    ['object type from the profile bits', ADTS_HE, 'mp4a.40.1'],
    ['no sync word', [0x12, 0x34, 0x56], undefined],
  ])('%s', (_l, bytes, want) => expect(aacCodecOfAdts(bytes)).toBe(want));

  it('finds both in the first PES of each stream, across packet boundaries and skipping other PIDs', () => {
    const video = pes(0xe0, [...Array<number>(180).fill(0xaa), ...SPS_MAIN_31]); // the SPS straddles two packets
    const ts = [
      ...tsPacket(0, [0, 0xb0, 0x0d], true), // PAT: not a PES
      ...tsPacket(0x100, video.slice(0, 184), true),
      ...tsPacket(0x101, pes(0xc0, ADTS_LC), true),
      ...tsPacket(0x100, video.slice(184), false),
    ];
    expect(tsCodecs(Uint8Array.from(ts))).toEqual({ video: 'avc1.4d401f', audio: 'mp4a.40.2' });
    expect(tsCodecs(Uint8Array.from(ts.slice(0, 188 * 2)))).toEqual({});
    expect(tsCodecs(new Uint8Array(0))).toEqual({});
  });
});

describe('TS master playlist', () => {
  it('lists the segments of a media playlist with their durations', () => {
    const text =
      '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000000,\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00Z\nseg_480p_00001.ts\n#EXTINF:1.5,\nseg_480p_00002.ts\nstray.ts\n';
    expect(listedTsSegments(text)).toEqual([
      { name: 'seg_480p_00001.ts', duration: 2 },
      { name: 'seg_480p_00002.ts', duration: 1.5 },
    ]);
  });

  it.each([
    [[{ bytes: 250_000, duration: 2 }], { peak: 1_000_000, average: 1_000_000 }],
    [
      [
        { bytes: 250_000, duration: 2 },
        { bytes: 500_000, duration: 2 },
      ],
      { peak: 2_000_000, average: 1_500_000 },
    ],
    [[{ bytes: 0, duration: 2 }], undefined],
    [[], undefined],
  ])('bandwidth of %j', (segs, want) => expect(measuredBandwidth(segs)).toEqual(want));

  const variants: TsVariant[] = [
    { playlist: 'index_240p.m3u8', width: 426, height: 240, targetKbps: 414, codecs: ['avc1.4d401e', 'mp4a.40.2'] },
    {
      playlist: 'index_source.m3u8',
      width: 1280,
      height: 720,
      measured: { peak: 2_600_000, average: 2_100_000 },
      codecs: ['avc1.64001f', 'mp4a.40.2'],
    },
  ];

  it('one variant per rung, highest first, peak as BANDWIDTH; the target plus a tenth before anything is measured', () => {
    expect(variantBandwidth(variants[0]!)).toBe(455_400);
    expect(tsMasterPlaylist(variants)).toBe(
      '#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n' +
        '#EXT-X-STREAM-INF:BANDWIDTH=2600000,AVERAGE-BANDWIDTH=2100000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"\nindex_source.m3u8\n' +
        '#EXT-X-STREAM-INF:BANDWIDTH=455400,RESOLUTION=426x240,CODECS="avc1.4d401e,mp4a.40.2"\nindex_240p.m3u8\n',
    );
    expect(tsMasterPlaylist(variants, 'talk/')).toContain('\ntalk/index_240p.m3u8\n');
  });
});

describe('segment readiness per rung', () => {
  const playlist = '#EXTM3U\n#EXTINF:2,\nseg_480p_00007.ts\n#EXTINF:2,\nseg_480p_00008.ts\n';
  it.each([
    ['seg_480p_00008.ts', true],
    ['seg_480p_00009.ts', false],
    // Another rung's numbers do not count: its own playlist decides.
    ['seg_360p_00003.ts', false],
    ['seg_00003.ts', false],
  ])('%s → %s', (name, want) => expect(isSegmentReady(playlist, name)).toBe(want));
  it('the ladder-less names are unchanged', () => {
    expect(isSegmentReady('#EXTINF:2,\nseg_00004.ts\n', 'seg_00004.ts')).toBe(true);
    expect(isSegmentReady('#EXTINF:2,\nseg_00004.ts\n', 'seg_00005.ts')).toBe(false);
  });
});

describe('URL router: rung playlists and segments, and nothing else', () => {
  it.each([
    ['/live/talk/index_480p.m3u8', 'hls-playlist', 'index_480p.m3u8'],
    ['/live/talk/seg_480p_00012.ts', 'hls-segment', 'seg_480p_00012.ts'],
    ['/live/talk/index_source.m3u8', 'hls-playlist', 'index_source.m3u8'],
    ['/talk.isml/index_360p.m3u8', 'hls-playlist', 'index_360p.m3u8'],
    ['/app2/talk.isml/seg_360p_00001.ts', 'hls-segment', 'seg_360p_00001.ts'],
    ['/hls-live/livepkgr/_definst_/ev/talk/index_240p.m3u8', 'hls-playlist', 'index_240p.m3u8'],
    ['/hls-live/livepkgr/_definst_/ev/talk/seg_240p_00001.ts', 'hls-segment', 'seg_240p_00001.ts'],
    ['/live/talk/chunklist_sfm4s_video2.m3u8', 'llhls-playlist', 'chunklist_sfm4s_video2.m3u8'],
    ['/live/talk/hds/stream3Seg1-Frag2', undefined, undefined],
  ])('%s', (url, kind, name) => {
    const r = parseMediaPath(url);
    if (kind === undefined) return expect(r.ok).toBe(false);
    expect(r.ok && r.route.kind).toBe(kind);
    expect(r.ok && r.route.name).toBe(name);
    // And back: the same path, and a file inside the hls folder.
    if (r.ok) {
      expect(mediaPath(r.route)).toBe(url);
      if (kind.startsWith('hls')) expect(diskLocation(r.route)).toEqual({ format: 'hls', file: name });
    }
  });

  it.each([
    '/live/talk/index_480P.m3u8',
    '/live/talk/index_.m3u8',
    '/live/talk/index_48%2F0.m3u8',
    '/live/talk/index_480p.m3u8.tmp',
    '/live/talk/index_source.m3u8%00',
    '/live/talk/seg_480p_00012.ts.tmp',
    '/live/talk/seg_480p_.ts',
    '/live/talk/seg_..%2F_00001.ts',
    '/live/talk/480p/index.m3u8',
    '/live/talk/index_abcdefghijklmnopq.m3u8',
  ])('refuses %s', (url) => expect(parseMediaPath(url).ok).toBe(false));

  it('playlist.m3u8 stays the stream manifest (no name) in every family', () => {
    const paths = manifestPaths({ app: 'live', name: 'talk' }, 'ev');
    for (const p of [paths.wowza.hls, paths.iis.hls, paths.livepkgr!.hls]) {
      const r = parseMediaPath(p);
      expect(r.ok && r.route.kind).toBe('hls-playlist');
      expect(r.ok && r.route.name).toBeUndefined();
    }
  });
});
