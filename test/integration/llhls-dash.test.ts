// The CMAF output end to end with real processes: ffmpeg publishes over RTMP, the packager's
// ffmpeg writes fMP4 into the timeline through pipes, the origin serves LL-HLS and DASH generated
// from it (blocking reloads, the preload-hinted part), the edge serves its parts and segments, and
// independent clients (ffprobe, ffmpeg's dash demuxer) decode them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { Fmp4Splitter } from '../../src/timeline/mp4-boxes.js';
import { ffprobe } from '../helpers/media.js';
import { ffmpegReadersOf, waitForExit } from '../helpers/proc.js';
import { startPublisher, type Publisher } from '../helpers/publisher.js';
import { loopbackConfig } from '../helpers/server-process.js';

let server: RunningServer;
let dataDir: string;
let publisher: Publisher;
let transcoded: Publisher;
let origin: string;
let edge: string;
const BASE = '/live/ll';

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-cmaf-'));
  const config = await loopbackConfig(dataDir, {
    packager: { cleanupDelaySeconds: 300 },
  });
  server = await startServer({ config, log: silentLogger(), roles: { ingest: true, origin: true, edge: true } });
  origin = `http://127.0.0.1:${server.ports.origin}`;
  edge = `http://127.0.0.1:${server.ports.edge}`;
  // 25 fps, 1 s GOP, AAC 44.1 kHz: 2 s segments of 0.5 s parts.
  publisher = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/live/ll`);
  // Sorenson Spark + MP3: re-encoded once, through the tee muxer, to every output including CMAF.
  transcoded = await startPublisher(`rtmp://127.0.0.1:${server.ports.rtmp}/live/tx`, {
    fixture: { videoCodec: 'flv1', audioCodec: 'mp3' },
  });
}, 60_000);

afterAll(async () => {
  await transcoded?.stop();
  await publisher?.stop();
  await server?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function get(url: string): Promise<{ status: number; headers: Headers; body: Buffer; ms: number }> {
  const t0 = Date.now();
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, ms: Date.now() - t0 };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Part {
  uri: string;
  duration: number;
  independent: boolean;
}

function parseParts(text: string): Part[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('#EXT-X-PART:'))
    .map((l) => ({
      uri: /URI="([^"]+)"/.exec(l)![1],
      duration: Number(/DURATION=([\d.]+)/.exec(l)![1]),
      independent: l.includes('INDEPENDENT=YES'),
    }));
}

function attr(text: string, tag: string, name: string): string | undefined {
  const line = text.split('\n').find((l) => l.startsWith(tag));
  return line ? new RegExp(`${name}=([^,"]+|"[^"]*")`).exec(line)?.[1] : undefined;
}

/** The newest (msn, part index) a media playlist shows. */
function lastPartOf(text: string): { msn: number; part: number } {
  const lines = text.split('\n');
  let msn = Number(attr(text, '#EXT-X-MEDIA-SEQUENCE', 'X') ?? /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)![1]);
  let part = -1;
  for (const l of lines) {
    if (l.startsWith('#EXT-X-PART:')) part++;
    else if (l !== '' && !l.startsWith('#')) {
      msn++;
      part = -1;
    }
  }
  return { msn, part };
}

describe('LL-HLS from the CMAF timeline (origin)', () => {
  let master: string;
  let video: string;

  it('serves the master playlist with the audio as a separate rendition', async () => {
    master = await waitFor('master', async () => {
      const r = await get(`${origin}${BASE}/playlist_sfm4s.m3u8`);
      return r.status === 200 ? r.body.toString() : undefined;
    });
    expect(master).toContain('#EXT-X-MEDIA:TYPE=AUDIO');
    expect(master).toContain('URI="chunklist_sfm4s_audio.m3u8"');
    expect(master).toMatch(
      /#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",RESOLUTION=320x180,AUDIO="audio"\nchunklist_sfm4s_video\.m3u8/,
    );
  }, 40_000);

  it('media playlists carry the LL-HLS tags, every part within PART-TARGET, INDEPENDENT exactly on key frames', async () => {
    video = await waitFor('two complete video segments', async () => {
      const t = (await get(`${origin}${BASE}/chunklist_sfm4s_video.m3u8`)).body.toString();
      return (t.match(/#EXTINF/g)?.length ?? 0) >= 2 ? t : undefined;
    });
    for (const tag of [
      '#EXT-X-PART-INF:PART-TARGET=0.500',
      '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.500,CAN-SKIP-UNTIL=12.0',
      '#EXT-X-PRELOAD-HINT:TYPE=PART',
      '#EXT-X-PROGRAM-DATE-TIME:',
      '#EXT-X-MAP:URI="init_sfm4s_video_0.mp4"',
      '#EXT-X-TARGETDURATION:2',
    ]) {
      expect(video, tag).toContain(tag);
    }
    const pdt = Date.parse(/#EXT-X-PROGRAM-DATE-TIME:(\S+)/.exec(video)![1]);
    expect(Math.abs(Date.now() - pdt)).toBeLessThan(30_000);
    const parts = parseParts(video);
    expect(parts.length).toBeGreaterThan(4);
    const initRes = await get(`${origin}${BASE}/init_sfm4s_video_0.mp4`);
    for (const p of parts) {
      expect(p.duration).toBeLessThanOrEqual(0.5);
      // The part's own first-sample flags decide: INDEPENDENT=YES exactly when it starts with a key frame.
      const bytes = (await get(`${origin}${BASE}/${p.uri}`)).body;
      const s = new Fmp4Splitter();
      s.push(initRes.body);
      const frag = s.push(bytes).find((e) => e.type === 'fragment');
      expect(frag?.type === 'fragment' && frag.info.startsWithKey, p.uri).toBe(p.independent);
    }
    const audio = (await get(`${origin}${BASE}/chunklist_sfm4s_audio.m3u8`)).body.toString();
    expect(parseParts(audio).every((p) => p.independent && p.duration <= 0.5)).toBe(true);
  }, 40_000);

  it('a blocking reload returns only once the next part exists, and the hinted part streams when it does', async () => {
    const url = `${origin}${BASE}/chunklist_sfm4s_video.m3u8`;
    const now = (await get(url)).body.toString();
    const { msn, part } = lastPartOf(now);
    const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(now)![1];
    // Two parts ahead: an answer before both exist would not list the asked-for part.
    const [hinted, blocked] = await Promise.all([get(`${origin}${BASE}/${hint}`), get(`${url}?_HLS_msn=${msn}&_HLS_part=${part + 2}`)]);
    expect(blocked.status).toBe(200);
    expect(blocked.ms).toBeLessThan(3 * 2000);
    expect(blocked.headers.get('cache-control')).toBe('max-age=1');
    const after = blocked.body.toString();
    const next = lastPartOf(after);
    const advanced = next.msn > msn ? next.part >= 0 || next.msn > msn + 1 : next.part >= part + 2;
    expect(advanced, `${msn}/${part} → ${next.msn}/${next.part}`).toBe(true);
    // The hinted part was not listed when asked for; it was held, then answered with exactly the
    // bytes the playlist now lists.
    expect(now).not.toContain(`URI="${hint}",`);
    expect(hinted.status).toBe(200);
    expect(hinted.headers.get('cache-control')).toBe('max-age=60');
    expect(after).toContain(`URI="${hint}"`);
    expect((await get(`${origin}${BASE}/${hint}`)).body.equals(hinted.body)).toBe(true);
  }, 20_000);

  it('blocking reload rules: 400 far ahead or part without msn, 404 for a future part, EXT-X-SKIP on request', async () => {
    const url = `${origin}${BASE}/chunklist_sfm4s_video.m3u8`;
    const { msn } = lastPartOf((await get(url)).body.toString());
    expect((await get(`${url}?_HLS_msn=${msn + 3}`)).status).toBe(400);
    expect((await get(`${url}?_HLS_part=1`)).status).toBe(400);
    expect((await get(`${url}?_HLS_msn=abc`)).status).toBe(400);
    const future = await get(`${origin}${BASE}/part_sfm4s_video_99999999999.m4s`);
    expect(future.status).toBe(404);
    expect(future.headers.get('cache-control')).toBe('max-age=1');
    const skip = await get(`${url}?_HLS_skip=YES`);
    expect(skip.status).toBe(200);
    expect(skip.headers.get('cache-control')).toBe('max-age=1');
  });

  it('every listed segment, and every part from its segment key frame on, decodes with its init segment (ffprobe)', async () => {
    for (const track of ['video', 'audio'] as const) {
      const text = (await get(`${origin}${BASE}/chunklist_sfm4s_${track}.m3u8`)).body.toString();
      const init = `${origin}${BASE}/${[...text.matchAll(/#EXT-X-MAP:URI="([^"]+)"/g)].at(-1)![1]}`;
      const segs = text.split('\n').filter((l) => l.startsWith('seg_'));
      const decodes = async (uris: string[], name: string) => {
        const bodies = await Promise.all(uris.map(async (u) => (await get(`${origin}${BASE}/${u}`)).body));
        const file = path.join(dataDir, name);
        fs.writeFileSync(file, Buffer.concat([(await get(init)).body, ...bodies]));
        const probe = await ffprobe(file, ['-count_frames']);
        const s = probe.streams[0] as { codec_name: string; nb_read_frames?: string };
        expect(s.codec_name, name).toBe(track === 'video' ? 'h264' : 'aac');
        expect(Number(s.nb_read_frames), name).toBeGreaterThan(0);
      };
      for (const seg of segs.slice(-2)) await decodes([seg], `${track}-${seg}.mp4`);
      // A part that does not start with a key frame decodes after the parts before it.
      const parts = parseParts(text);
      const from = parts.map((p) => p.independent).lastIndexOf(true);
      for (let i = from; i < parts.length; i++)
        await decodes(
          parts.slice(from, i + 1).map((p) => p.uri),
          `${track}-part-${i}.mp4`,
        );
    }
  }, 60_000);

  it('the classic TS playlist carries EXT-X-PROGRAM-DATE-TIME too', async () => {
    const ts = await waitFor('TS playlist', async () => {
      const r = await get(`${origin}${BASE}/playlist.m3u8`);
      return r.status === 200 && r.body.toString().includes('#EXTINF') ? r.body.toString() : undefined;
    });
    expect(ts).toMatch(/#EXT-X-PROGRAM-DATE-TIME:\d{4}-\d\d-\d\dT/);
  });
});

describe('DASH from the same timeline', () => {
  it("serves a dynamic MPD that ffmpeg's dash demuxer opens, with separate video and audio", async () => {
    const mpd = await get(`${origin}${BASE}/manifest_sfm4s.mpd`);
    expect(mpd.status).toBe(200);
    expect(mpd.headers.get('content-type')).toMatch(/^application\/dash\+xml/);
    const xml = mpd.body.toString();
    expect(xml).toContain('type="dynamic"');
    expect(xml).toContain('availabilityTimeOffset=');
    expect(xml).toContain('<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="/api/time"/>');
    expect(xml).toContain('<ServiceDescription');
    const probe = await ffprobe(`${origin}${BASE}/manifest_sfm4s.mpd`);
    expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    const time = await get(`${origin}/api/time`);
    expect(Math.abs(Date.parse(time.body.toString()) - Date.now())).toBeLessThan(5000);
    expect(time.headers.get('cache-control')).toBe('no-store');
  }, 30_000);
});

describe('a stream that is transcoded (not H.264/AAC)', () => {
  it('gets the CMAF output too: H.264 and AAC tracks whose segments decode', async () => {
    const master = await waitFor('transcoded master', async () => {
      const r = await get(`${origin}/live/tx/playlist_sfm4s.m3u8`);
      return r.status === 200 ? r.body.toString() : undefined;
    });
    expect(master).toMatch(/CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/);
    const text = (await get(`${origin}/live/tx/chunklist_sfm4s_video.m3u8`)).body.toString();
    const seg = text
      .split('\n')
      .filter((l) => l.startsWith('seg_'))
      .at(-1)!;
    const file = path.join(dataDir, 'tx.mp4');
    fs.writeFileSync(
      file,
      Buffer.concat([(await get(`${origin}/live/tx/init_sfm4s_video_0.mp4`)).body, (await get(`${origin}/live/tx/${seg}`)).body]),
    );
    const probe = await ffprobe(file, ['-count_frames']);
    expect(probe.streams[0]).toMatchObject({ codec_name: 'h264' });
    expect(Number((probe.streams[0] as { nb_read_frames?: string }).nb_read_frames)).toBeGreaterThan(0);
  }, 40_000);
});

describe('through the edge', () => {
  it('parts, segments, init and playlists resolve through the edge, byte for byte', async () => {
    const text = (await get(`${origin}${BASE}/chunklist_sfm4s_video.m3u8`)).body.toString();
    const seg = text
      .split('\n')
      .filter((l) => l.startsWith('seg_'))
      .at(-1)!;
    const part = parseParts(text).at(-1)!.uri;
    for (const uri of ['playlist_sfm4s.m3u8', 'init_sfm4s_video_0.mp4', seg, part]) {
      const [viaEdge, direct] = [await get(`${edge}${BASE}/${uri}`), await get(`${origin}${BASE}/${uri}`)];
      expect(viaEdge.status, uri).toBe(200);
      if (!uri.endsWith('.m3u8')) expect(viaEdge.body.equals(direct.body), uri).toBe(true);
    }
    expect((await get(`${edge}${BASE}/manifest_sfm4s.mpd`)).status).toBe(200);
  });
});

describe('/api/streams', () => {
  it('lists the LL-HLS and DASH URLs of every family, and they resolve', async () => {
    const body = (await (await fetch(`${origin}/api/streams`)).json()) as {
      streams: Array<{ id: string; paths: Record<string, Record<string, string>> }>;
    };
    const s = body.streams.find((x) => x.id === 'live/ll')!;
    expect(s.paths.wowza.llhls).toBe('/live/ll/playlist_sfm4s.m3u8');
    expect(s.paths.wowza.dash).toBe('/live/ll/manifest_sfm4s.mpd');
    for (const p of [s.paths.wowza.llhls, s.paths.wowza.dash, s.paths.iis.llhls, s.paths.iis.dash]) {
      expect((await get(origin + p)).status, p).toBe(200);
    }
  });
});

describe('a packager restart', () => {
  it("continues the same playlists after EXT-X-DISCONTINUITY with the new run's init segment", async () => {
    const [pid] = ffmpegReadersOf(process.pid, `rtmp://127.0.0.1:${server.ports.rtmp}/live/ll`);
    expect(pid).toBeDefined();
    const before = lastPartOf((await get(`${origin}${BASE}/chunklist_sfm4s_video.m3u8`)).body.toString());
    process.kill(pid!, 'SIGKILL');
    await waitForExit(pid!, 5000);
    const after = await waitFor('a discontinuity', async () => {
      const t = (await get(`${origin}${BASE}/chunklist_sfm4s_video.m3u8`)).body.toString();
      return t.includes('#EXT-X-DISCONTINUITY\n') && t.includes('init_sfm4s_video_1.mp4') ? t : undefined;
    });
    expect(after).toContain('#EXT-X-MAP:URI="init_sfm4s_video_1.mp4"');
    // Numbering continues across the restart: no part or segment name is reused.
    expect(lastPartOf(after).msn).toBeGreaterThanOrEqual(before.msn);
    expect((await get(`${origin}${BASE}/init_sfm4s_video_1.mp4`)).status).toBe(200);
    const mpd = (
      await waitFor('a second period', async () => {
        const x = (await get(`${origin}${BASE}/manifest_sfm4s.mpd`)).body.toString();
        return x.includes('<Period id="p1"') ? x : undefined;
      })
    ).toString();
    expect(mpd).toContain('init_sfm4s_video_1.mp4');
  }, 40_000);
});

describe('after the publisher leaves', () => {
  it('the LL-HLS playlists end with EXT-X-ENDLIST and the MPD becomes static', async () => {
    await publisher.stop();
    const ended = await waitFor('ENDLIST', async () => {
      const t = (await get(`${origin}${BASE}/chunklist_sfm4s_video.m3u8`)).body.toString();
      return t.includes('#EXT-X-ENDLIST') ? t : undefined;
    });
    expect(ended).not.toContain('PRELOAD-HINT');
    expect((await get(`${origin}${BASE}/chunklist_sfm4s_audio.m3u8`)).body.toString()).toContain('#EXT-X-ENDLIST');
    const xml = (await get(`${origin}${BASE}/manifest_sfm4s.mpd`)).body.toString();
    expect(xml).toContain('type="static"');
    expect(xml).toContain('mediaPresentationDuration=');
  }, 30_000);
});
