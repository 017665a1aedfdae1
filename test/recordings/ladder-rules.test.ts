// The pure rules of ladder recordings and of the recordings list, from tables: which rungs a
// recording may go on with, aligned capture rows, the VOD cut times and playlists, the list's
// pointer keys, cursors and query.
import { describe, expect, it } from 'vitest';
import {
  MAX_VOD_CUTS,
  parseCutList,
  sameRungs,
  takeAlignedRows,
  vodCutTimes,
  vodLadderBuildInvocation,
  vodMasterPlaylist,
  vodMediaPlaylist,
} from '../../src/recordings/capture-rules.js';
import {
  decodeCursor,
  encodeCursor,
  idOfListingEntry,
  listingEntryName,
  listingKeys,
  MAX_PAGE_SIZE,
  parseListQuery,
} from '../../src/recordings/listing-keys.js';
import { invocationArgv } from '../../src/packager/ffmpeg-args.js';
import { vodFileKind } from '../../src/timeline/output-layout.js';
import { TWO_RUNG_BUILD } from './ladder-flow.js';

const R480 = [
  { name: 'source', source: true, width: 854, height: 480 },
  { name: '360p', source: false, width: 640, height: 360, videoKbps: 700, audioKbps: 96 },
  { name: '240p', source: false, width: 428, height: 240, videoKbps: 400, audioKbps: 64 },
];

describe('sameRungs: may a recording go on with the next run', () => {
  it.each([
    ['the same rungs', R480, R480, true],
    ['no ladder both times', [], [], true],
    ['one rung fewer (a lower source)', R480, R480.slice(0, 2), false],
    ['the source at another size', R480, [{ ...R480[0]!, width: 640, height: 360 }, ...R480.slice(1)], false],
    ['a rung renamed', R480, [R480[0]!, { ...R480[1]!, name: '361p' }, R480[2]!], false],
    ['now without a ladder', R480, [], false],
    ['now with one', [], R480, false],
  ])('%s', (_what, recorded, next, same) => {
    expect(sameRungs(recorded, next)).toBe(same);
  });
});

describe('takeAlignedRows', () => {
  it.each([
    [
      [
        ['a0', 'a1'],
        ['b0', 'b1', 'b2'],
      ],
      [
        ['a0', 'b0'],
        ['a1', 'b1'],
      ],
      [[], ['b2']],
    ],
    [[['a0'], []], [], [['a0'], []]],
    [[['a0', 'a1']], [['a0'], ['a1']], [[]]],
    [[], [], []],
  ])('%j → rows %j, waiting %j', (queues, rows, left) => {
    const q = queues.map((x) => [...x]);
    expect(takeAlignedRows(q)).toEqual(rows);
    expect(q).toEqual(left);
  });
});

describe('VOD cuts of a ladder recording', () => {
  it.each([
    [[2, 2, 2, 0.44, 2, 2, 1.08], 100, [1.999, 3.999, 5.999, 6.439, 8.439, 10.439]],
    [[2], 100, []],
    [[], 100, []],
    [[2, 2, 2, 2, 2], 2, [3.999, 7.999]],
  ])('durations %j, at most %i cuts → %j', (durations, max, cuts) => {
    expect(vodCutTimes(durations, max).map((t) => Math.round(t * 1000) / 1000)).toEqual(cuts);
  });

  it('keeps the cut list of a long event inside one argument', () => {
    const cuts = vodCutTimes(Array<number>(50_000).fill(2));
    expect(cuts.length).toBeLessThanOrEqual(MAX_VOD_CUTS);
    expect(cuts.map((t) => t.toFixed(3)).join(',').length).toBeLessThan(128 * 1024);
  });

  it.each([
    [
      'seg_source_00000.ts,0.000000,2.080000\nseg_source_00001.ts,2.075000,4.075000\nseg_source_00002.ts,4.069000,4.5\n',
      [
        { name: 'seg_source_00000.ts', duration: 2.075 },
        { name: 'seg_source_00001.ts', duration: 1.994 },
        { name: 'seg_source_00002.ts', duration: 0.431 },
      ],
    ],
    ['../x.ts,0,2\n', undefined],
    ['seg_1.ts,2,1\n', undefined],
    ['seg_1.ts,0,2,9\n', undefined],
    ['seg_1.ts,zero,2\n', undefined],
    ['', []],
  ])('parseCutList(%j)', (csv, want) => {
    const got = parseCutList(csv);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got?.map((s) => ({ ...s, duration: Math.round(s.duration * 1000) / 1000 }))).toEqual(want);
  });

  it('writes a VOD media playlist whose target duration covers every segment', () => {
    const text = vodMediaPlaylist([
      { name: 'seg_240p_00000.ts', duration: 2.075 },
      { name: 'seg_240p_00001.ts', duration: 2.6 },
    ]);
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:3',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXTINF:2.075000,',
        'seg_240p_00000.ts',
        '#EXTINF:2.600000,',
        'seg_240p_00001.ts',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });

  it('writes the master with the live master writer: BANDWIDTH, RESOLUTION, CODECS per rung', () => {
    const text = vodMasterPlaylist([
      { rung: R480[0]!, segments: [{ bytes: 250_000, duration: 2 }], codecs: ['avc1.4d401e', 'mp4a.40.2'] },
      { rung: R480[2]!, segments: [{ bytes: 100_000, duration: 2 }], codecs: ['avc1.4d4015', 'mp4a.40.2'] },
    ]);
    expect(text).toContain(
      '#EXT-X-STREAM-INF:BANDWIDTH=1000000,AVERAGE-BANDWIDTH=1000000,RESOLUTION=854x480,CODECS="avc1.4d401e,mp4a.40.2"\nindex_source.m3u8',
    );
    expect(text).toContain(
      '#EXT-X-STREAM-INF:BANDWIDTH=400000,AVERAGE-BANDWIDTH=400000,RESOLUTION=428x240,CODECS="avc1.4d4015,mp4a.40.2"\nindex_240p.m3u8',
    );
  });

  it('builds every rung in one copy run, with one video AdaptationSet', () => {
    const inv = vodLadderBuildInvocation(TWO_RUNG_BUILD);
    const argv = invocationArgv(inv).join(' ');
    expect(argv).toContain('-f concat -safe 1 -i segments_source.ffconcat -f concat -safe 1 -i segments_240p.ffconcat');
    expect(argv).toContain('+faststart -f mp4 out/recording.mp4');
    expect(argv).toContain('-map 1:v:0 -map 1:a:0 -c copy -bsf:a aac_adtstoasc -movflags +faststart -f mp4 out/recording_240p.mp4');
    expect(argv).toContain('-segment_times 1.999,3.999 -segment_list out/cuts_240p.csv -segment_list_type csv out/seg_240p_%05d.ts');
    expect(argv).toContain('-map 0:v:0 -map 1:v:0 -map 0:a:0');
    expect(argv).toContain('-aspect:v 854:480');
    expect(invocationArgv(inv)).toContain('id=0,streams=v id=1,streams=a');
    expect(argv).not.toMatch(/libx264|-c:v (?!copy)/);
    const noAudio = invocationArgv(
      vodLadderBuildInvocation({ captureDir: '/x', segmentSeconds: 2, rungs: ['a', 'b'], audio: false, durations: [2] }),
    );
    expect(noAudio).toContain('id=0,streams=v');
    expect(noAudio.join(' ')).not.toMatch(/:a:0/);
  });

  it.each([
    ['index_240p.m3u8', 'vod-playlist'],
    ['seg_240p_00012.ts', 'vod-segment'],
    ['recording_240p.mp4', 'vod-mp4'],
    ['cuts_240p.csv', undefined],
    ['segments_240p.ffconcat', undefined],
    ['index_240P.m3u8', undefined],
    ['recording_../x.mp4', undefined],
  ])('vodFileKind(%j) = %s', (name, kind) => {
    expect(vodFileKind(name)).toBe(kind);
  });
});

const ID = '20261201T133000Z-9f86d081';
const OLDER = '20261130T235959Z-00000001';

describe('the recordings list: pointer keys and cursors', () => {
  it('names entries so key order is newest first', () => {
    expect(listingEntryName(ID)).toBe(`79738798866999_${ID}`);
    expect(listingEntryName(ID) < listingEntryName(OLDER)).toBe(true);
    expect(idOfListingEntry(listingEntryName(ID))).toBe(ID);
    expect(() => listingEntryName('x')).toThrow();
  });

  it.each([
    [`79738798866999_${ID}`, ID],
    [`79738798866998_${ID}`, undefined], // halves disagree
    [ID, undefined],
    [`79738798866999_${ID}/x`, undefined],
  ])('idOfListingEntry(%j) = %s', (name, id) => {
    expect(idOfListingEntry(name)).toBe(id);
  });

  it('keeps one pointer per list: all, the app, the stream (a two-level app stays one key segment)', () => {
    expect(listingKeys({ app: 'cfx/st', stream: 'talk', id: ID })).toEqual([
      `recording-list/all/79738798866999_${ID}`,
      `recording-list/app/cfx%2Fst/79738798866999_${ID}`,
      `recording-list/stream/cfx%2Fst/talk/79738798866999_${ID}`,
    ]);
  });

  it.each([
    [encodeCursor(listingEntryName(ID)), listingEntryName(ID)],
    ['', undefined],
    ['not a cursor', undefined],
    [Buffer.from('../../etc').toString('base64url'), undefined],
    [Buffer.from(`79738798866999_${ID}x`).toString('base64url'), undefined],
    [`${encodeCursor(listingEntryName(ID))}=`, undefined],
  ])('decodeCursor(%j) = %j', (cursor, want) => {
    expect(decodeCursor(cursor)).toBe(want);
  });
});

describe('GET /api/recordings parameters', () => {
  const next = encodeCursor(listingEntryName(ID));
  it.each([
    ['', { limit: 50 }],
    ['limit=1', { limit: 1 }],
    [`limit=${MAX_PAGE_SIZE}`, { limit: MAX_PAGE_SIZE }],
    [`next=${next}`, { limit: 50, after: listingEntryName(ID) }],
    ['app=live', { limit: 50, app: 'live' }],
    ['app=cfx%2Fst&stream=talk', { limit: 50, app: 'cfx/st', stream: 'talk' }],
  ])('?%s → %j', (qs, want) => {
    expect(parseListQuery(new URLSearchParams(qs))).toEqual({ ok: true, value: want });
  });

  it.each([
    ['limit=0', /limit/],
    [`limit=${MAX_PAGE_SIZE + 1}`, /limit/],
    ['limit=-1', /limit/],
    ['limit=1.5', /limit/],
    ['limit=abc', /limit/],
    ['limit=', /limit/],
    ['next=zzz', /next/],
    ['app=..', /app/],
    ['app=vod', /app/],
    ['stream=talk', /stream needs app/],
    ['app=live&stream=../x', /stream/],
    ['limit=1&limit=2', /twice/],
    ['offset=10', /unknown parameter/],
    ['app[x]=live', /unknown parameter/],
  ])('?%s is refused (%s)', (qs, reason) => {
    const r = parseListQuery(new URLSearchParams(qs));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});
