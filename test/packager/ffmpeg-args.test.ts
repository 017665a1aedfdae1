import { describe, expect, it } from 'vitest';
import {
  cmafFragmentMicros,
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
