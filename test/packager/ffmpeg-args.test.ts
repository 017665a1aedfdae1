import { describe, expect, it } from 'vitest';
import { planLadder } from '../../src/packager/abr-ladder.js';
import {
  cmafFragmentMicros,
  cmafTrackIds,
  codecOptions,
  invocationArgv,
  needsAudioTranscode,
  needsVideoTranscode,
  packagingInvocation,
  rtmpInputUrl,
  type PackagingPlan,
} from '../../src/packager/ffmpeg-args.js';
import { restartDelayMs } from '../../src/packager/supervisor.js';
import { formatRelative, HLS_FILES } from '../../src/timeline/output-layout.js';

const HLS_PLAYLIST = formatRelative('hls', HLS_FILES.playlist);
const HLS_SEGMENTS = formatRelative('hls', HLS_FILES.segmentPattern);

const plan: PackagingPlan = {
  inputUrl: 'rtmp://127.0.0.1:1935/live/talk',
  workDir: '/data/streams/cfx%2Fst/talk',
  segmentSeconds: 2,
  windowSegments: 6,
  hlsListSize: 900,
  extraWindowSegments: 3,
  transcodeVideo: false,
  transcodeAudio: false,
  appendHls: false,
  inputTimeoutSeconds: 6,
};

/** The value after `flag` in an option list. */
function opt(options: string[], flag: string): string | undefined {
  const i = options.indexOf(flag);
  return i < 0 ? undefined : options[i + 1];
}

describe('packagingInvocation', () => {
  const inv = packagingInvocation(plan);

  it('one input, three outputs in the stream directory: HLS, HDS, Smooth (FIELD-NOTES §4)', () => {
    expect(inv.input).toBe('rtmp://127.0.0.1:1935/live/talk');
    expect(inv.cwd).toBe('/data/streams/cfx%2Fst/talk');
    expect(inv.outputs.map((o) => opt(o.options, '-f'))).toEqual(['hls', 'hds', 'smoothstreaming']);
    expect(inv.outputs.map((o) => o.target)).toEqual([HLS_PLAYLIST, formatRelative('hds'), formatRelative('mss')]);
  });

  it('never puts the data directory into an option (a "%" in cfx%2Fst is a segment-pattern character)', () => {
    for (const o of inv.outputs) expect(o.options.join(' ')).not.toContain('/data');
    expect(opt(inv.outputs[0]!.options, '-hls_segment_filename')).toBe(HLS_SEGMENTS);
  });

  it('copies H.264/AAC with explicit optional maps (FIELD-NOTES §1b)', () => {
    for (const o of inv.outputs) {
      expect(o.options.slice(0, 4)).toEqual(['-map', '0:v:0?', '-map', '0:a:0?']);
      expect(opt(o.options, '-c:v')).toBe('copy');
      expect(opt(o.options, '-c:a')).toBe('copy');
    }
  });

  it('HLS: target duration, the DVR window listed, deleted segments, atomic writes', () => {
    const hls = inv.outputs[0]!.options;
    expect(opt(hls, '-hls_time')).toBe('2');
    // The playlist lists the DVR window; HDS and Smooth keep their short windows (below).
    expect(opt(hls, '-hls_list_size')).toBe('900');
    expect(opt(hls, '-hls_delete_threshold')).toBe('3');
    expect(opt(hls, '-hls_flags')!.split('+').sort()).toEqual([
      'delete_segments',
      'independent_segments',
      'omit_endlist',
      'program_date_time',
      'temp_file',
    ]);
  });

  it('HLS continuation appends to the playlist (discontinuity, continuous media sequence)', () => {
    const cont = packagingInvocation({ ...plan, appendHls: true });
    expect(opt(cont.outputs[0]!.options, '-hls_flags')!.split('+')).toContain('append_list');
  });

  it('with the TS DVR archive (a store other than the data directory) ffmpeg deletes no segment, copying or transcoding', () => {
    for (const p of [plan, { ...plan, transcodeVideo: true }]) {
      const own = packagingInvocation({ ...p, archiveDeletesSegments: true });
      const text = own.outputs.map((o) => [...o.options, o.target].join(' ')).join(' ');
      expect(text).toContain('program_date_time');
      expect(text).not.toContain('delete_segments');
      const theirs = packagingInvocation(p);
      expect(theirs.outputs.map((o) => [...o.options, o.target].join(' ')).join(' ')).toContain('delete_segments');
    }
  });

  it('HDS and Smooth: 2 s fragments and a bounded window (FIELD-NOTES §4b/§4c)', () => {
    for (const o of inv.outputs.slice(1)) {
      expect(opt(o.options, '-min_frag_duration')).toBe('2000000');
      expect(opt(o.options, '-window_size')).toBe('6');
      expect(opt(o.options, '-extra_window_size')).toBe('3');
    }
    expect(opt(inv.outputs[2]!.options, '-lookahead_count')).toBe('2');
  });

  it('follows the configured segment length', () => {
    const four = packagingInvocation({ ...plan, segmentSeconds: 4 });
    expect(opt(four.outputs[0]!.options, '-hls_time')).toBe('4');
    expect(opt(four.outputs[1]!.options, '-min_frag_duration')).toBe('4000000');
  });

  it('input: a read timeout (F1) and short probing', () => {
    expect(opt(inv.inputOptions, '-rw_timeout')).toBe('6000000');
    expect(Number(opt(inv.inputOptions, '-analyzeduration'))).toBeLessThanOrEqual(1_000_000);
    expect(inv.inputOptions).toContain('-nostats');
  });

  it('flat argv puts -i before the outputs and each target after its options', () => {
    const argv = invocationArgv(inv);
    expect(argv.indexOf('-i')).toBeLessThan(argv.indexOf('-f'));
    expect(argv[argv.indexOf('-i') + 1]).toBe(plan.inputUrl);
    expect(argv.at(-1)).toBe(formatRelative('mss'));
  });
});

describe('packagingInvocation when re-encoding', () => {
  const inv = packagingInvocation({ ...plan, transcodeVideo: true, transcodeAudio: true });
  it('encodes once and fans out through the tee muxer to HLS, HDS and Smooth', () => {
    expect(inv.outputs).toHaveLength(1);
    const out = inv.outputs[0]!;
    expect(opt(out.options, '-f')).toBe('tee');
    expect(opt(out.options, '-c:v')).toBe('libx264');
    // HDS and Smooth read codec headers from extradata.
    expect(opt(out.options, '-flags')).toBe('+global_header');
    expect(out.target.split('|')).toEqual([
      `[f=hls:hls_time=2:hls_list_size=900:hls_delete_threshold=3:hls_flags=delete_segments+independent_segments+temp_file+program_date_time+omit_endlist:hls_segment_filename=${HLS_SEGMENTS}]${HLS_PLAYLIST}`,
      `[f=hds:window_size=6:extra_window_size=3:min_frag_duration=2000000]${formatRelative('hds')}`,
      `[f=smoothstreaming:window_size=6:extra_window_size=3:lookahead_count=2:min_frag_duration=2000000]${formatRelative('mss')}`,
    ]);
  });
});

describe('codec decisions', () => {
  it('transcodes only what is not H.264 / AAC', () => {
    expect(needsVideoTranscode('h264')).toBe(false);
    expect(needsVideoTranscode('hevc')).toBe(true);
    expect(needsVideoTranscode('flv1')).toBe(true);
    expect(needsVideoTranscode(undefined)).toBe(false);
    expect(needsAudioTranscode('aac')).toBe(false);
    expect(needsAudioTranscode('mp3')).toBe(true);
  });
  it('re-encodes to H.264 with key frames on segment boundaries', () => {
    const o = codecOptions({ transcodeVideo: true, transcodeAudio: true, segmentSeconds: 2, transcodeVideoKbps: 1500 });
    expect(opt(o, '-c:v')).toBe('libx264');
    expect(opt(o, '-force_key_frames')).toBe('expr:gte(t,n_forced*2)');
    expect(opt(o, '-b:v')).toBe('1500k');
    expect(opt(o, '-c:a')).toBe('aac');
  });
});

describe('rtmpInputUrl', () => {
  it('reaches a wildcard bind over loopback and keeps cfx/st two-level', () => {
    expect(rtmpInputUrl('0.0.0.0', 1935, 'cfx/st', 'talk')).toBe('rtmp://127.0.0.1:1935/cfx/st/talk');
    expect(rtmpInputUrl('127.0.0.1', 19350, 'live', 'x')).toBe('rtmp://127.0.0.1:19350/live/x');
    expect(rtmpInputUrl('::1', 1, 'live', 'x')).toBe('rtmp://[::1]:1/live/x');
  });
});

describe('restartDelayMs (back-off)', () => {
  it('doubles from the minimum up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => restartDelayMs(n, 0.5, 10))).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000]);
    expect(restartDelayMs(0, 0.5, 10)).toBe(500);
  });
});

describe('the CMAF output (LL-HLS and DASH)', () => {
  it.each([
    // part target → frag_duration (µs): 90 % of it, so a fragment plus one frame stays within it
    [0.5, 450000],
    [0.333, 299700],
    [1, 900000],
  ])('part target %s s → -frag_duration %i', (part, micros) => {
    expect(cmafFragmentMicros(part)).toBe(micros);
  });

  it('with -c copy: one fMP4 output per track, each to its own pipe, beside the three legacy outputs', () => {
    const inv = packagingInvocation({ ...plan, cmaf: { partSeconds: 0.5, tracks: ['video', 'audio'] } });
    expect(inv.outputs.map((o) => opt(o.options, '-f'))).toEqual(['hls', 'hds', 'smoothstreaming', 'mp4', 'mp4']);
    const [video, audio] = inv.outputs.slice(3);
    expect([video!.target, audio!.target]).toEqual(['pipe:3', 'pipe:4']);
    expect(inv.pipes).toEqual(['pipe:3', 'pipe:4']);
    expect(video!.options.slice(0, 4)).toEqual(['-map', '0:v:0', '-c:v', 'copy']);
    expect(audio!.options.slice(0, 4)).toEqual(['-map', '0:a:0', '-c:a', 'copy']);
    for (const o of [video!, audio!]) {
      expect(opt(o.options, '-movflags')).toBe('cmaf+empty_moov+default_base_moof+frag_keyframe');
      expect(opt(o.options, '-frag_duration')).toBe('450000');
      expect(opt(o.options, '-flush_packets')).toBe('1');
    }
  });

  it('an audio-only stream gets only the audio pipe', () => {
    const inv = packagingInvocation({ ...plan, cmaf: { partSeconds: 0.5, tracks: ['audio'] } });
    expect(inv.pipes).toEqual(['pipe:3']);
    expect(inv.outputs.at(-1)!.options.slice(0, 2)).toEqual(['-map', '0:a:0']);
  });

  it('when re-encoding: the fMP4 tracks are tee slaves selecting one stream each (one encode)', () => {
    const inv = packagingInvocation({
      ...plan,
      transcodeVideo: true,
      transcodeAudio: true,
      cmaf: { partSeconds: 0.5, tracks: ['video', 'audio'] },
    });
    expect(inv.outputs).toHaveLength(1);
    const slaves = inv.outputs[0]!.target.split('|');
    expect(slaves.slice(3)).toEqual([
      '[f=mp4:select=v:movflags=cmaf+empty_moov+default_base_moof+frag_keyframe:frag_duration=450000:flush_packets=1]pipe:3',
      '[f=mp4:select=a:movflags=cmaf+empty_moov+default_base_moof+frag_keyframe:frag_duration=450000:flush_packets=1]pipe:4',
    ]);
    expect(inv.pipes).toEqual(['pipe:3', 'pipe:4']);
  });

  it('no CMAF plan: no pipes (the legacy invocation is unchanged)', () => {
    expect(packagingInvocation(plan).pipes).toBeUndefined();
  });
});

describe('packagingInvocation with an ABR ladder', () => {
  const rungs = planLadder('default', { width: 1280, height: 720 }).rungs;
  const abr: PackagingPlan = {
    ...plan,
    rungs,
    sourceVideoKbps: 2500,
    hasAudio: true,
    cmaf: { partSeconds: 0.5, tracks: ['video', 'audio'] },
    appendHlsRungs: new Set(['360p']),
  };
  const inv = packagingInvocation(abr);
  const options = inv.outputs[0]!.options;
  const slaves = inv.outputs[0]!.target.split('|');

  it('decodes once: one filter graph that splits the source into one scale per transcoded rung', () => {
    expect(inv.outputs).toHaveLength(1);
    expect(opt(options, '-f')).toBe('tee');
    expect(opt(options, '-filter_complex')).toBe(
      '[0:v:0]split=3[s1][s2][s3];[s1]scale=854:480[v1];[s2]scale=640:360[v2];[s3]scale=426:240[v3]',
    );
    // Source video and audio first, then each rung's video and its own audio.
    const maps = options.flatMap((o, i) => (o === '-map' ? [options[i + 1]] : []));
    expect(maps).toEqual(['0:v:0', '0:a:0', '[v1]', '0:a:0', '[v2]', '0:a:0', '[v3]', '0:a:0']);
  });

  it('copies the source rung and encodes each rung once, with key frames at the source key frames', () => {
    expect(opt(options, '-c:v:0')).toBe('copy');
    expect(opt(options, '-b:v:0')).toBe('2500k');
    expect(opt(options, '-c:a:0')).toBe('copy');
    for (const [i, r] of rungs.entries()) {
      if (i === 0) continue;
      expect(opt(options, `-c:v:${i}`)).toBe('libx264');
      expect(opt(options, `-b:v:${i}`)).toBe(`${r.videoKbps}k`);
      expect(opt(options, `-maxrate:v:${i}`)).toBe(`${r.videoKbps}k`);
      expect(opt(options, `-force_key_frames:v:${i}`)).toBe('source');
      expect(opt(options, `-sc_threshold:v:${i}`)).toBe('0');
      expect(opt(options, `-c:a:${i}`)).toBe('aac');
      expect(opt(options, `-b:a:${i}`)).toBe(`${r.audioKbps}k`);
    }
    expect(options.filter((o) => o === 'libx264')).toHaveLength(3);
    // ffmpeg 5.1 forces a `source` key frame one frame late at a constant output frame rate.
    expect(opt(options, '-fps_mode')).toBe('passthrough');
  });

  it('re-encoded source (not H.264): every rung follows the same segment grid', () => {
    const t = packagingInvocation({ ...abr, transcodeVideo: true }).outputs[0]!.options;
    expect(opt(t, '-c:v:0')).toBe('libx264');
    for (let i = 0; i < rungs.length; i++) expect(opt(t, `-force_key_frames:v:${i}`)).toBe('expr:gte(t,n_forced*2)');
  });

  it('one HLS media playlist per rung, each with its video and audio, appending only where asked', () => {
    const hls = slaves.filter((s) => s.startsWith('[f=hls:'));
    expect(hls.map((s) => s.slice(s.indexOf(']') + 1))).toEqual(rungs.map((r) => formatRelative('hls', HLS_FILES.rungPlaylist(r.name))));
    expect(hls.map((s) => /select=([\d,]+)/.exec(s)?.[1])).toEqual(['0,1', '2,3', '4,5', '6,7']);
    expect(hls.map((s) => s.includes('append_list'))).toEqual([false, false, true, false]);
    expect(hls[1]).toContain(`hls_segment_filename=${formatRelative('hls', HLS_FILES.rungSegmentPattern('480p'))}`);
  });

  it('HDS takes every stream (one <media> per rung), Smooth every video and the source audio', () => {
    const hds = slaves.find((s) => s.startsWith('[f=hds:'))!;
    expect(hds).not.toContain('select=');
    const mss = slaves.find((s) => s.startsWith('[f=smoothstreaming:'))!;
    expect(/select=([\d,]+)/.exec(mss)?.[1]).toBe('0,2,4,6,1');
  });

  it('CMAF: one video pipe per rung and the source audio, and the track ids in pipe order', () => {
    const mp4 = slaves.filter((s) => s.startsWith('[f=mp4:'));
    expect(mp4.map((s) => [/select=(\d+)/.exec(s)?.[1], s.slice(s.indexOf(']') + 1)])).toEqual([
      ['0', 'pipe:3'],
      ['2', 'pipe:4'],
      ['4', 'pipe:5'],
      ['6', 'pipe:6'],
      ['1', 'pipe:7'],
    ]);
    expect(inv.pipes).toEqual(['pipe:3', 'pipe:4', 'pipe:5', 'pipe:6', 'pipe:7']);
    expect(cmafTrackIds(abr)).toEqual(['video', 'video1', 'video2', 'video3', 'audio']);
    expect(cmafTrackIds(plan)).toEqual([]);
  });

  it('a video-only source: no audio maps, every index shifts', () => {
    const v = packagingInvocation({ ...abr, hasAudio: false });
    const o = v.outputs[0]!.options;
    expect(o.flatMap((x, i) => (x === '-map' ? [o[i + 1]] : []))).toEqual(['0:v:0', '[v1]', '[v2]', '[v3]']);
    expect(
      v.outputs[0]!.target.split('|')
        .filter((s) => s.startsWith('[f=hls:'))
        .map((s) => /select=([\d,]+)/.exec(s)?.[1]),
    ).toEqual(['0', '1', '2', '3']);
    expect(cmafTrackIds({ ...abr, hasAudio: false })).toEqual(['video', 'video1', 'video2', 'video3']);
  });

  it('a ladder of the source alone is the single-rendition invocation of today', () => {
    const one = planLadder('default', { width: 320, height: 180 }).rungs;
    expect(packagingInvocation({ ...plan, rungs: one })).toEqual(packagingInvocation(plan));
  });
});
