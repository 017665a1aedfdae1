// Integration: real ffmpeg publishers → our RTMP ingest (node-media-server) → our packager's ffmpeg
// → HLS, HDS and Smooth on disk, for every ingest form of the issue.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffprobe, syntheticFlv } from '../helpers/media.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import type { StreamKey } from '../../src/streams/stream-key.js';
import {
  HDS_FILES,
  HLS_FILES,
  isHdsFragmentName,
  isSmoothLevelName,
  parseSmoothFragment,
  SMOOTH_FILES,
  STREAM_INFO_FILE,
} from '../../src/timeline/output-layout.js';
import { packagerPids, playlistWithSegments, readText, segmentNames, startStack, unlessGone, waitFor, type Stack } from './stack.js';

let stack: Stack;
const publishers: Publisher[] = [];

/** `stream0Seg1-Frag12` → 12. */
const fragmentNumber = (name: string): number => Number(/Frag(\d+)$/.exec(name)![1]);

const FORMS: Array<{ label: string; path: string; key: StreamKey; event?: string }> = [
  { label: 'Wowza live/<stream> (ING-03)', path: 'live/talk', key: { app: 'live', name: 'talk' } },
  { label: 'Wowza livecf/<stream> (ING-03)', path: 'livecf/myStream', key: { app: 'livecf', name: 'myStream' } },
  {
    label: 'livepkgr ?adbe-live-event (ING-01)',
    path: 'livepkgr/livestream?adbe-live-event=liveevent',
    key: { app: 'livepkgr', name: 'livestream' },
    event: 'liveevent',
  },
  {
    label: 'livepkgr record mode (ING-01)',
    path: 'livepkgr/rec?adbe-live-event=ev2&adbe-record-mode=record',
    key: { app: 'livepkgr', name: 'rec' },
    event: 'ev2',
  },
  { label: 'CloudFront cfx/st/<stream> (RTMP-10)', path: 'cfx/st/cfstream', key: { app: 'cfx/st', name: 'cfstream' } },
];

beforeAll(async () => {
  await syntheticFlv();
  // A DVR window of 4 s: the HLS playlist lists 4 segments, like the HDS and Smooth windows.
  stack = await startStack({ packager: { segmentSeconds: 1, windowSegments: 4, extraWindowSegments: 2, dvrWindowSeconds: 4 } });
  for (const f of FORMS) publishers.push(await startPublisher(stack.rtmpUrl(f.path)));
});

afterAll(async () => {
  await Promise.all(publishers.map((p) => p.stop()));
  await stack?.close();
});

describe.each(FORMS)('$label', (form) => {
  it('is live in the registry with its event and codecs', async () => {
    const live = await waitFor('registry codecs', () => {
      const s = stack.registry.get(form.key);
      return s?.video && s.audio ? s : null;
    });
    expect(live.event).toBe(form.event);
    expect(live.video).toMatchObject({ codec: 'h264', width: 320, height: 180 });
    expect(live.audio).toMatchObject({ codec: 'aac', sampleRate: 44100 });
  });

  it('HLS: a live playlist whose segments are real H.264/AAC (ffprobe)', async () => {
    const hlsDir = stack.dir(form.key, 'hls');
    const playlist = await playlistWithSegments(hlsDir, 2);
    expect(playlist).toContain('#EXT-X-TARGETDURATION:1');
    expect(playlist).not.toContain('#EXT-X-ENDLIST');
    // The newest listed segment: the oldest leaves the disk first as the window moves.
    const seg = path.join(hlsDir, segmentNames(playlist).at(-1)!);
    const probe = await ffprobe(seg);
    expect(probe.format?.format_name).toBe('mpegts');
    expect(probe.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual(['audio:aac', 'video:h264']);
    expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 320, height: 180 });
    const whole = await ffprobe(path.join(hlsDir, HLS_FILES.playlist));
    expect(whole.streams.some((s) => s.codec_name === 'h264')).toBe(true);
  });

  it('HDS: a live f4m, its bootstrap and fragments with media data', async () => {
    const hdsDir = stack.dir(form.key, 'hds');
    // Each file is renamed into place, but old fragments are deleted as the window moves: read the
    // newest fragment (the last to go) once two are on disk, and poll again if one vanished meanwhile.
    const { f4m, abst, frag } = await waitFor('f4m, bootstrap and two fragments', () =>
      unlessGone(() => {
        const frags = fs
          .readdirSync(hdsDir)
          .filter(isHdsFragmentName)
          .sort((a, b) => fragmentNumber(a) - fragmentNumber(b));
        if (frags.length < 2) return null;
        return {
          f4m: fs.readFileSync(path.join(hdsDir, HDS_FILES.manifest), 'utf8'),
          abst: fs.readFileSync(path.join(hdsDir, HDS_FILES.bootstrap('stream0'))),
          frag: fs.readFileSync(path.join(hdsDir, frags.at(-1)!)),
        };
      }),
    );
    expect(f4m).toContain('<streamType>live</streamType>');
    expect(f4m).toMatch(/<bootstrapInfo[^>]*url="stream0\.abst"/);
    expect(f4m).toMatch(/<media[^>]*url="stream0"/);
    expect(f4m).toMatch(/<metadata>[A-Za-z0-9+/=\s]+<\/metadata>/);
    expect(abst.subarray(4, 8).toString('latin1')).toBe('abst');
    expect(frag.length).toBeGreaterThan(5000);
    expect(frag.includes(Buffer.from('mdat'))).toBe(true);
  });

  it('Smooth: a live Manifest with H.264 and AAC levels and fragment files', async () => {
    const mssDir = stack.dir(form.key, 'mss');
    const manifest = await waitFor('Smooth manifest with 2 video chunks', () => {
      const t = readText(path.join(mssDir, SMOOTH_FILES.manifest));
      return t && (t.match(/<c t="/g)?.length ?? 0) >= 4 ? t : null;
    });
    expect(manifest).toContain('IsLive="true"');
    expect(manifest).toContain('FourCC="H264"');
    expect(manifest).toContain('FourCC="AACL"');
    const levels = fs.readdirSync(mssDir).filter(isSmoothLevelName);
    expect(levels.length).toBe(2);
    // The newest video fragment (old ones are deleted as the window moves; poll again if it vanished).
    const bytes = await waitFor('a video fragment', () =>
      unlessGone(() => {
        for (const dir of levels.map((l) => path.join(mssDir, l))) {
          const video = fs
            .readdirSync(dir)
            .map(parseSmoothFragment)
            .filter((f) => f?.type === 'video')
            .sort((a, b) => Number(a!.start) - Number(b!.start));
          if (video.length) return fs.readFileSync(path.join(dir, SMOOTH_FILES.fragment('video', video.at(-1)!.start)));
        }
        return null;
      }),
    );
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('moof');
    expect(bytes.length).toBeGreaterThan(5000);
  });

  it('writes stream.json with the event', async () => {
    const info = JSON.parse(fs.readFileSync(path.join(stack.dir(form.key), STREAM_INFO_FILE), 'utf8'));
    expect(info).toMatchObject({ app: form.key.app, name: form.key.name, ...(form.event ? { event: form.event } : {}) });
    expect(info.endedAt).toBeUndefined();
  });
});

describe('one ffmpeg per live stream', () => {
  it('runs exactly one packager process per stream', () => {
    expect(packagerPids(stack.ingest.port).length).toBe(FORMS.length);
  });

  it('keeps only the live window on disk (delete_segments, window_size)', async () => {
    const key = FORMS[0]!.key;
    // window 4 + threshold 2 (+1 being written) once the window has slid.
    await playlistWithSegments(stack.dir(key, 'hls'), 4);
    await new Promise((r) => setTimeout(r, 4000));
    const ts = fs.readdirSync(stack.dir(key, 'hls')).filter((n) => n.endsWith('.ts'));
    expect(ts.length).toBeLessThanOrEqual(4 + 2 + 1);
    const frags = fs.readdirSync(stack.dir(key, 'hds')).filter((n) => n.includes('Frag'));
    expect(frags.length).toBeLessThanOrEqual(4 + 2 + 1);
  });
});
