// Containment against symlinks in every path component: a symlink planted anywhere inside the data
// directory (the `streams` folder, an app folder, a stream folder, a format folder, the file itself,
// and a link that stays inside the data directory) is not followed by the origin, nor through the
// edge in front of it. A data directory that is itself reached through a symlink (the operator's
// choice) still serves. Real HTTP on 127.0.0.1; the files are small stand-ins for packager output.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { startEdge, type EdgeInternals } from '../../src/edge/index.js';
import { silentLogger } from '../../src/log.js';
import { startOrigin, type OriginHandle } from '../../src/origin/index.js';
import { LiveRegistry } from '../../src/streams/registry.js';
import {
  FORMAT_FOLDERS,
  formatRelative,
  HDS_FILES,
  HLS_FILES,
  SMOOTH_FILES,
  STREAM_INFO_FILE,
  STREAMS_FOLDER,
} from '../../src/timeline/output-layout.js';

const SECRET = 'SECRET-OUTSIDE-THE-MEDIA-ROOT';
const PLAYLIST = (marker: string) =>
  `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.000000,\n${HLS_FILES.segment(0)}\n# ${marker}\n`;

/** A stream directory's worth of files (HLS, HDS, Smooth, stream.json), each carrying `marker`. */
async function writeStream(dir: string, marker: string, event?: string): Promise<void> {
  await fs.mkdir(path.join(dir, FORMAT_FOLDERS.hls), { recursive: true });
  await fs.mkdir(path.join(dir, FORMAT_FOLDERS.hds), { recursive: true });
  await fs.mkdir(path.join(dir, QL_DIR), { recursive: true });
  for (const [file, body] of Object.entries(FILES)) await fs.writeFile(path.join(dir, file), body(marker));
  await fs.writeFile(path.join(dir, QL_DIR, SMOOTH_FILES.fragment('audio', 0)), `fragment ${marker}`);
  await fs.writeFile(
    path.join(dir, STREAM_INFO_FILE),
    JSON.stringify({ app: 'x', name: 'x', startedAt: new Date().toISOString(), ...(event ? { event } : {}) }),
  );
}

/** The quality-level folder of the Smooth stand-in, relative to the stream directory. */
const QL_DIR = formatRelative('mss', SMOOTH_FILES.level(128000));

/** The stand-in files of each format (relative to the stream directory), each carrying `marker`. */
const FILES: Record<string, (marker: string) => string> = {
  [formatRelative('hls', HLS_FILES.playlist)]: PLAYLIST,
  [formatRelative('hls', HLS_FILES.segment(0))]: (m) => `segment ${m}`,
  [formatRelative('hds', HDS_FILES.manifest)]: (m) => `<manifest xmlns="http://ns.adobe.com/f4m/1.0"><id>${m}</id></manifest>`,
  [formatRelative('hds', HDS_FILES.fragment('stream0', 1))]: (m) => `fragment ${m}`,
  [formatRelative('mss', SMOOTH_FILES.manifest)]: (m) =>
    `<SmoothStreamingMedia MajorVersion="2" MinorVersion="0" Duration="0"><!-- ${m} --></SmoothStreamingMedia>`,
};

/** Every URL the origin serves for one stream, by family and kind. */
const urlsOf = (app: string, name: string): string[] => [
  `/${app}/${name}/playlist.m3u8`,
  `/${app}/${name}/seg_00000.ts`,
  `/${app}/${name}/manifest.f4m`,
  `/${app}/${name}/stream0Seg1-Frag1`,
  `/${app}/${name}/Manifest`,
  `/${app}/${name}/QualityLevels(128000)/Fragments(audio=0)`,
];

let work: string;
let outside: string;
const servers: Array<{ close(): Promise<void> }> = [];

async function startPair(dataDir: string): Promise<{ origin: OriginHandle; edge: EdgeInternals }> {
  const config = defaultConfig({
    host: '127.0.0.1',
    originPort: 0,
    edgePort: 0,
    edgeHttpsPort: 0,
    dataDir,
    edge: { logs: { enabled: false } },
  });
  const origin = await startOrigin({ config, registry: new LiveRegistry(), log: silentLogger() });
  servers.push(origin);
  const edge = await startEdge({ config, log: silentLogger(), originUrl: `http://127.0.0.1:${origin.port}` });
  servers.push(edge);
  return { origin, edge };
}

async function get(port: number, url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${url}`);
  return { status: res.status, body: await res.text() };
}

let main: { origin: OriginHandle; edge: EdgeInternals };
let linkedRoot: { origin: OriginHandle; edge: EdgeInternals };
let viaLinkedDataDir: { origin: OriginHandle; edge: EdgeInternals };

/** Name of each planted case → the URLs that must not be served. */
const planted: Array<{ what: string; urls: string[] }> = [];

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'streamfront-symlinks-'));
  outside = path.join(work, 'elsewhere');
  const dataDir = path.join(work, 'data');
  const streams = path.join(dataDir, STREAMS_FOLDER);
  // The control: a real stream that is served.
  await writeStream(path.join(streams, 'live', 'talk'), 'inside');
  // A stream directory that is a symlink to a directory outside.
  await writeStream(path.join(outside, 'evil'), SECRET);
  await fs.symlink(path.join(outside, 'evil'), path.join(streams, 'live', 'evil'));
  planted.push({ what: 'stream directory -> outside', urls: urlsOf('live', 'evil') });
  // An app directory that is a symlink.
  await writeStream(path.join(outside, 'app', 'cam'), SECRET);
  await fs.symlink(path.join(outside, 'app'), path.join(streams, 'livecf'));
  planted.push({ what: 'app directory -> outside', urls: urlsOf('livecf', 'cam') });
  // Format directories that are symlinks, in a real stream directory.
  await writeStream(path.join(outside, 'formats'), SECRET);
  await fs.mkdir(path.join(streams, 'live', 'fmt'), { recursive: true });
  for (const f of Object.values(FORMAT_FOLDERS)) await fs.symlink(path.join(outside, 'formats', f), path.join(streams, 'live', 'fmt', f));
  planted.push({ what: 'format directories -> outside', urls: urlsOf('live', 'fmt') });
  // The Smooth quality-level directory that is a symlink.
  await writeStream(path.join(streams, 'live', 'ql'), 'inside-ql');
  await fs.rm(path.join(streams, 'live', 'ql', QL_DIR), { recursive: true });
  await fs.symlink(path.join(outside, 'formats', QL_DIR), path.join(streams, 'live', 'ql', QL_DIR));
  planted.push({ what: 'quality-level directory -> outside', urls: ['/live/ql/QualityLevels(128000)/Fragments(audio=0)'] });
  // The files themselves are symlinks (the last component).
  await writeStream(path.join(streams, 'live', 'files'), 'inside-files');
  for (const f of Object.keys(FILES)) {
    await fs.rm(path.join(streams, 'live', 'files', f));
    await fs.symlink(path.join(outside, 'formats', f), path.join(streams, 'live', 'files', f));
  }
  planted.push({ what: 'files -> outside', urls: urlsOf('live', 'files').filter((u) => !u.includes('QualityLevels')) });
  // A relative link that stays inside the data directory: served only under its real name.
  await fs.symlink('talk', path.join(streams, 'live', 'alias'));
  planted.push({ what: 'stream directory -> another stream (inside)', urls: urlsOf('live', 'alias') });
  // A livepkgr stream whose stream.json (the event check) is a symlink to one outside.
  await writeStream(path.join(streams, 'livepkgr', 'ev'), 'inside-ev');
  await fs.rm(path.join(streams, 'livepkgr', 'ev', STREAM_INFO_FILE));
  await fs.writeFile(
    path.join(outside, STREAM_INFO_FILE),
    JSON.stringify({ app: 'livepkgr', name: 'ev', event: 'stolen', startedAt: new Date().toISOString() }),
  );
  await fs.symlink(path.join(outside, STREAM_INFO_FILE), path.join(streams, 'livepkgr', 'ev', STREAM_INFO_FILE));
  planted.push({ what: 'stream.json -> outside (livepkgr event)', urls: ['/hls-live/livepkgr/_definst_/stolen/ev.m3u8'] });
  main = await startPair(dataDir);

  // The `streams` folder itself is a symlink.
  const linkedData = path.join(work, 'data-linked-streams');
  await fs.mkdir(linkedData, { recursive: true });
  await writeStream(path.join(outside, STREAMS_FOLDER, 'live', 'root'), SECRET);
  await fs.symlink(path.join(outside, STREAMS_FOLDER), path.join(linkedData, STREAMS_FOLDER));
  linkedRoot = await startPair(linkedData);

  // The data directory is reached through a symlink (configuration): it serves as usual.
  const dataLink = path.join(work, 'data-link');
  await fs.symlink(dataDir, dataLink);
  viaLinkedDataDir = await startPair(dataLink);
}, 30_000);

afterAll(async () => {
  for (const s of servers.reverse()) await s.close();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

describe('symlinks in any component are not followed (origin and edge)', () => {
  it('the control stream is served, through the origin and the edge', async () => {
    for (const port of [main.origin.port, main.edge.port]) {
      const pl = await get(port, '/live/talk/playlist.m3u8');
      expect(pl.status).toBe(200);
      expect(pl.body).toContain('seg_00000.ts');
      const seg = await get(port, '/live/talk/seg_00000.ts');
      expect(seg).toEqual({ status: 200, body: 'segment inside' });
      expect((await get(port, '/live/talk/QualityLevels(128000)/Fragments(audio=0)')).status).toBe(200);
    }
  });

  it('every planted symlink: 404 from the origin and from the edge, nothing from outside', async () => {
    const served: string[] = [];
    for (const p of planted) {
      for (const url of p.urls) {
        for (const [role, port] of [
          ['origin', main.origin.port],
          ['edge', main.edge.port],
        ] as const) {
          const r = await get(port, url);
          if (r.status !== 404 || r.body.includes(SECRET)) served.push(`${p.what}: ${role} ${url} → ${r.status} ${r.body.slice(0, 80)}`);
        }
      }
    }
    expect(served).toEqual([]);
    expect(planted.reduce((n, p) => n + p.urls.length, 0)).toBeGreaterThanOrEqual(30);
  });

  it('a symlinked `streams` folder inside the data directory is not followed', async () => {
    for (const port of [linkedRoot.origin.port, linkedRoot.edge.port]) {
      for (const url of urlsOf('live', 'root')) {
        const r = await get(port, url);
        expect(r.status, url).toBe(404);
        expect(r.body).not.toContain(SECRET);
      }
    }
  });

  it('a data directory configured through a symlink serves, and still refuses the planted links', async () => {
    const { origin, edge } = viaLinkedDataDir;
    for (const port of [origin.port, edge.port]) {
      expect(await get(port, '/live/talk/seg_00000.ts')).toEqual({ status: 200, body: 'segment inside' });
      for (const url of [...urlsOf('live', 'evil'), ...urlsOf('live', 'alias')]) expect((await get(port, url)).status, url).toBe(404);
    }
  });
});
