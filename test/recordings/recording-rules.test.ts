// The pure rules of recordings, from tables: which live segments a capture takes, the names and
// keys of a recording's files, the URL parser of /vod/, the admin check and the VOD build command.
import { describe, expect, it } from 'vitest';
import { concatList, parseLivePlaylist, vodBuildInvocation, vodLadderBuildInvocation } from '../../src/recordings/capture-rules.js';
import { adminAuth, describeRecording } from '../../src/origin/vod-routes.js';
import { vodPolicy } from '../../src/origin/cache-policy.js';
import { defaultConfig } from '../../src/config/index.js';
import { invocationArgv, type FfmpegInvocation } from '../../src/packager/ffmpeg-args.js';
import { parsePublish } from '../../src/ingest/stream-name.js';
import { isValidApp } from '../../src/streams/stream-key.js';
import {
  isRecordingId,
  parseVodSegments,
  recordingId,
  recordingIdOfIndexKey,
  recordingIndexKey,
  vodFileKind,
  vodKey,
} from '../../src/timeline/output-layout.js';
import { TWO_RUNG_BUILD } from './ladder-flow.js';

const ID = '20261201T133000Z-9f86d081';

describe('parseLivePlaylist', () => {
  it('lists finished segments with durations and discontinuities', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-MEDIA-SEQUENCE:7',
      '#EXT-X-PROGRAM-DATE-TIME:2026-12-01T13:00:00.000Z',
      '#EXTINF:2.000000,',
      'seg_00007.ts',
      '#EXT-X-DISCONTINUITY',
      '#EXTINF:1.960000,',
      'seg_00008.ts',
      '#EXTINF:2.040000,',
      'seg_00009.ts',
      '#EXT-X-ENDLIST',
    ].join('\n');
    expect(parseLivePlaylist(text)).toEqual({
      segments: [
        { name: 'seg_00007.ts', duration: 2, discontinuity: false },
        { name: 'seg_00008.ts', duration: 1.96, discontinuity: true },
        { name: 'seg_00009.ts', duration: 2.04, discontinuity: false },
      ],
    });
  });

  it.each([
    ['a name that is not the packager’s', '#EXTINF:2,\n/etc/passwd\n'],
    ['a parent path', '#EXTINF:2,\n../other/seg_00001.ts\n'],
    ['no EXTINF', 'seg_00001.ts\n'],
    ['a zero duration', '#EXTINF:0,\nseg_00001.ts\n'],
    ['empty', ''],
  ])('takes nothing from %s', (_what, text) => {
    expect(parseLivePlaylist(text).segments).toEqual([]);
  });

  it.each([
    ['#EXT-X-STREAM-INF:BANDWIDTH=1\nsource/index.m3u8\n', 'source/index.m3u8'],
    ['#EXT-X-STREAM-INF:BANDWIDTH=1\nsource.m3u8\n', 'source.m3u8'],
    ['#EXT-X-STREAM-INF:BANDWIDTH=1\n../../x.m3u8\n', undefined],
    ['#EXT-X-STREAM-INF:BANDWIDTH=1\nhttp://elsewhere/x.m3u8\n', undefined],
  ])('follows a master playlist only to a variant inside the HLS folder: %j', (text, variant) => {
    expect(parseLivePlaylist(text).variant).toBe(variant);
  });
});

describe('recording ids, VOD names and store keys', () => {
  it('makes ids from the start time and random bits', () => {
    expect(recordingId(new Date('2026-12-01T13:30:00.123Z'), '9f86d081')).toBe(ID);
    expect(() => recordingId(new Date(), 'xyz')).toThrow();
  });

  it.each([
    [ID, true],
    ['20261201T133000Z-9F86D081', false],
    ['20261201T133000Z-9f86d08', false],
    ['../20261201T133000Z-9f86d081', false],
    ['20261201T133000Z-9f86d081/', false],
    ['', false],
  ])('isRecordingId(%j) = %s', (id, valid) => {
    expect(isRecordingId(id)).toBe(valid);
  });

  it.each([
    ['index.m3u8', 'vod-playlist'],
    ['manifest.mpd', 'vod-mpd'],
    ['recording.mp4', 'vod-mp4'],
    ['seg_00000.ts', 'vod-segment'],
    ['init-stream0.m4s', 'vod-init'],
    ['chunk-stream1-00012.m4s', 'vod-chunk'],
    ['capture.json', undefined],
    ['segments.ffconcat', undefined],
    ['index.m3u8.tmp', undefined],
    ['seg_1.ts', undefined],
  ])('vodFileKind(%j) = %s', (name, kind) => {
    expect(vodFileKind(name)).toBe(kind);
  });

  it('builds keys that are the URL path, the two-level app included', () => {
    expect(vodKey({ app: 'live', name: 'talk' }, ID, 'index.m3u8')).toBe(`vod/live/talk/${ID}/index.m3u8`);
    expect(vodKey({ app: 'cfx/st', name: 'talk' }, ID)).toBe(`vod/cfx/st/talk/${ID}/`);
    expect(() => vodKey({ app: 'live', name: 'talk' }, ID, 'capture.json')).toThrow();
    expect(() => vodKey({ app: 'live', name: '../x' }, ID)).toThrow();
    expect(recordingIndexKey(ID)).toBe(`recordings/${ID}.json`);
    expect(recordingIdOfIndexKey(`recordings/${ID}.json`)).toBe(ID);
    expect(recordingIdOfIndexKey(`recordings/x/${ID}.json`)).toBeUndefined();
  });

  it.each([
    [['live', 'talk', ID, 'index.m3u8'], { key: { app: 'live', name: 'talk' }, id: ID, file: 'index.m3u8', kind: 'vod-playlist' }],
    [['cfx', 'st', 'talk', ID, 'recording.mp4'], { key: { app: 'cfx/st', name: 'talk' }, id: ID, file: 'recording.mp4', kind: 'vod-mp4' }],
    [['cfx', 'xx', 'talk', ID, 'recording.mp4'], undefined],
    [['live', 'talk', 'not-an-id', 'index.m3u8'], undefined],
    [['live', 'talk', ID, 'capture.json'], undefined],
    [['live', 'talk', ID, 'src', '000000.ts'], undefined],
    [['api', 'talk', ID, 'index.m3u8'], undefined],
    [['live', 'talk', ID], undefined],
    [['a', 'b', 'c', 'talk', ID, 'index.m3u8'], undefined],
  ])('parseVodSegments(%j)', (segs, want) => {
    expect(parseVodSegments(segs)).toEqual(want);
  });

  it('reserves the app `vod` for recordings', () => {
    expect(isValidApp('vod')).toBe(false);
    expect(parsePublish('vod', 'x')).toMatchObject({ ok: false });
  });
});

describe('the publish parameter record', () => {
  it.each([
    [{ record: '1' }, true],
    [{ record: '0' }, false],
    [{}, undefined],
  ])('%j → record %s', (query, record) => {
    const r = parsePublish('live', 'talk', query);
    expect(r.ok && r.target.record).toBe(record === undefined ? undefined : record);
  });

  it.each([[{ record: 'yes' }], [{ record: ['1', '1'] }]])('refuses %j', (query) => {
    expect(parsePublish('live', 'talk', query)).toMatchObject({ ok: false });
  });
});

describe('admin API check', () => {
  const TOKEN = 'sixteen-chars-at-least';
  it.each([
    [undefined, `Bearer ${TOKEN}`, 'admin-off'],
    [TOKEN, undefined, 'unauthorized'],
    [TOKEN, TOKEN, 'unauthorized'],
    [TOKEN, 'Bearer wrong', 'unauthorized'],
    [TOKEN, `Bearer ${TOKEN}x`, 'unauthorized'],
    [TOKEN, `Basic ${TOKEN}`, 'unauthorized'],
    [TOKEN, `Bearer ${TOKEN}`, undefined],
    [TOKEN, `bearer ${TOKEN}`, undefined],
  ])('token %j, Authorization %j → %s', (token, header, code) => {
    const r = adminAuth(token, header);
    if (code === undefined) expect(r.ok).toBe(true);
    else expect(r).toMatchObject({ ok: false, code });
  });
});

describe('VOD answers', () => {
  const cache = defaultConfig().origin.cacheControl;
  it.each([
    ['vod-playlist', 'application/vnd.apple.mpegurl', 'max-age=60'],
    ['vod-mpd', 'application/dash+xml', 'max-age=60'],
    ['vod-mp4', 'video/mp4', 'max-age=60'],
    ['vod-segment', 'video/MP2T', 'max-age=86400'],
    ['vod-init', 'video/mp4', 'max-age=86400'],
    ['vod-chunk', 'video/mp4', 'max-age=86400'],
  ] as const)('%s: %s, %s (SPEC VOD-04)', (kind, contentType, cacheControl) => {
    expect(vodPolicy(kind, cache)).toEqual({ contentType, cacheControl });
  });

  it('lists the URLs of the three forms', () => {
    const d = describeRecording(
      { id: ID, app: 'cfx/st', stream: 'talk', start: 's', end: 'e', duration: 10, size: 5, totalBytes: 9, segments: 5 },
      'http://h:8000',
    );
    expect(d.urls).toEqual({
      hls: `http://h:8000/vod/cfx/st/talk/${ID}/index.m3u8`,
      dash: `http://h:8000/vod/cfx/st/talk/${ID}/manifest.mpd`,
      mp4: `http://h:8000/vod/cfx/st/talk/${ID}/recording.mp4`,
    });
  });

  it('builds with one ffmpeg copy run: faststart MP4, VOD HLS, static DASH', () => {
    const argv = invocationArgv(vodBuildInvocation({ captureDir: '/x', segmentSeconds: 2 })).join(' ');
    expect(argv).toContain('-f concat -safe 1 -i segments.ffconcat');
    expect(argv).toContain('-movflags +faststart -f mp4 out/recording.mp4');
    expect(argv).toContain('-hls_playlist_type vod');
    expect(argv).toContain('-f dash');
    expect(argv).not.toMatch(/libx264|-c:v (?!copy)/);
    expect(concatList(2, [2, 1.5])).toBe(
      "ffconcat version 1.0\nfile 'src/000000.ts'\nduration 2.000000\nfile 'src/000001.ts'\nduration 1.500000\n",
    );
  });
});

describe('the VOD build command, argument for argument', () => {
  // Each row: the inputs, then one line per output (its options and its target, space-joined), and
  // the argument count (so two arguments cannot merge into one with a space unnoticed).
  const rows: Array<{ what: string; inv: () => FfmpegInvocation; inputs: string; outputs: string[]; argc: number }> = [
    {
      what: 'one rendition: mp4, hls, dash',
      inv: () => vodBuildInvocation({ captureDir: '/x', segmentSeconds: 2 }),
      inputs: '-hide_banner -nostats -loglevel warning -f concat -safe 1 -i segments.ffconcat',
      outputs: [
        '-map 0:v:0? -map 0:a:0? -c copy -bsf:a aac_adtstoasc -movflags +faststart -f mp4 out/recording.mp4',
        '-map 0:v:0? -map 0:a:0? -c copy -f hls -hls_time 2 -hls_playlist_type vod -hls_flags independent_segments -hls_segment_filename out/seg_%05d.ts out/index.m3u8',
        '-map 0:v:0? -map 0:a:0? -c copy -bsf:a aac_adtstoasc -tag:v avc1 -tag:a mp4a -f dash -seg_duration 2 -use_template 1 -use_timeline 1 out/manifest.mpd',
      ],
      argc: 61,
    },
    {
      what: 'a ladder of two with audio and the top rung aspect',
      inv: () => vodLadderBuildInvocation(TWO_RUNG_BUILD),
      inputs:
        '-hide_banner -nostats -loglevel warning -f concat -safe 1 -i segments_source.ffconcat -f concat -safe 1 -i segments_240p.ffconcat',
      outputs: [
        '-map 0:v:0 -map 0:a:0 -c copy -bsf:a aac_adtstoasc -movflags +faststart -f mp4 out/recording.mp4',
        '-map 1:v:0 -map 1:a:0 -c copy -bsf:a aac_adtstoasc -movflags +faststart -f mp4 out/recording_240p.mp4',
        '-map 0:v:0 -map 0:a:0 -c copy -f segment -segment_format mpegts -segment_times 1.999,3.999 -segment_list out/cuts_source.csv -segment_list_type csv out/seg_source_%05d.ts',
        '-map 1:v:0 -map 1:a:0 -c copy -f segment -segment_format mpegts -segment_times 1.999,3.999 -segment_list out/cuts_240p.csv -segment_list_type csv out/seg_240p_%05d.ts',
        '-map 0:v:0 -map 1:v:0 -map 0:a:0 -bsf:a aac_adtstoasc -tag:a mp4a -c copy -tag:v avc1 -aspect:v 854:480 -f dash -seg_duration 2 -use_template 1 -use_timeline 1 -adaptation_sets id=0,streams=v id=1,streams=a out/manifest.mpd',
      ],
      argc: 103,
    },
    {
      what: 'a ladder of three without audio, no aspect, one row (no cut times)',
      inv: () => vodLadderBuildInvocation({ captureDir: '/x', segmentSeconds: 4, rungs: ['a', 'b', 'c'], audio: false, durations: [2] }),
      inputs:
        '-hide_banner -nostats -loglevel warning -f concat -safe 1 -i segments_a.ffconcat -f concat -safe 1 -i segments_b.ffconcat -f concat -safe 1 -i segments_c.ffconcat',
      outputs: [
        '-map 0:v:0 -c copy -bsf:a aac_adtstoasc -movflags +faststart -f mp4 out/recording.mp4',
        '-map 1:v:0 -c copy -bsf:a aac_adtstoasc -movflags +faststart -f mp4 out/recording_b.mp4',
        '-map 2:v:0 -c copy -bsf:a aac_adtstoasc -movflags +faststart -f mp4 out/recording_c.mp4',
        '-map 0:v:0 -c copy -f segment -segment_format mpegts -segment_time 86400 -segment_list out/cuts_a.csv -segment_list_type csv out/seg_a_%05d.ts',
        '-map 1:v:0 -c copy -f segment -segment_format mpegts -segment_time 86400 -segment_list out/cuts_b.csv -segment_list_type csv out/seg_b_%05d.ts',
        '-map 2:v:0 -c copy -f segment -segment_format mpegts -segment_time 86400 -segment_list out/cuts_c.csv -segment_list_type csv out/seg_c_%05d.ts',
        '-map 0:v:0 -map 1:v:0 -map 2:v:0 -c copy -tag:v avc1 -f dash -seg_duration 4 -use_template 1 -use_timeline 1 -adaptation_sets id=0,streams=v out/manifest.mpd',
      ],
      argc: 121,
    },
  ];
  it.each(rows)('$what', ({ inv, inputs, outputs, argc }) => {
    const i = inv();
    expect(i.cwd).toBe('/x');
    const argv = invocationArgv(i);
    const inputArgc = argv.length - i.outputs.reduce((n, o) => n + o.options.length + 1, 0);
    expect(argv.slice(0, inputArgc).join(' ')).toBe(inputs);
    expect(i.outputs.map((o) => [...o.options, o.target].join(' '))).toEqual(outputs);
    expect(argv.length).toBe(argc);
  });
});
