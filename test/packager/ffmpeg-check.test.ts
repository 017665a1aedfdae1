// startPackager finds ffmpeg (config, FFMPEG_PATH, PATH), checks it runs and has the three muxers,
// and otherwise fails with one clear line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log.js';
import { resolveFfmpegPath, startPackager } from '../../src/packager/index.js';
import { LiveRegistry } from '../../src/streams/registry.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-ffcheck-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function start(ffmpegPath: string) {
  const config = defaultConfig({ dataDir: dir, packager: { ffmpegPath } });
  return startPackager({ config, registry: new LiveRegistry(), log: silentLogger(), rtmpPort: 1 });
}

describe('startPackager ffmpeg check', () => {
  it('uses a working ffmpeg and reports its path and version', async () => {
    const h = await start('/usr/bin/ffmpeg');
    expect(h.ffmpegPath).toBe('/usr/bin/ffmpeg');
    expect(h.ffmpegVersion).toMatch(/^\d|^n|^N/);
    await h.close();
  });

  it('fails clearly when the binary is missing', async () => {
    await expect(start(path.join(dir, 'nope', 'ffmpeg'))).rejects.toThrow(/^no working ffmpeg at ".*nope\/ffmpeg"/);
  });

  it('fails clearly when a muxer is missing', async () => {
    const fake = path.join(dir, 'fake-ffmpeg');
    fs.writeFileSync(fake, '#!/bin/sh\nif [ "$2" = "-version" ]; then echo "ffmpeg version 0.0-fake"; else printf " E hls  HLS\\n"; fi\n', {
      mode: 0o755,
    });
    await expect(start(fake)).rejects.toThrow('ffmpeg at "' + fake + '" (version 0.0-fake) lacks the muxer(s) hds, smoothstreaming, mp4');
  });
});

describe('resolveFfmpegPath', () => {
  it('prefers the configured path, then FFMPEG_PATH, then PATH', async () => {
    expect(await resolveFfmpegPath('/opt/ff/ffmpeg', { FFMPEG_PATH: '/x/ffmpeg', PATH: '/usr/bin' })).toBe('/opt/ff/ffmpeg');
    expect(await resolveFfmpegPath(undefined, { FFMPEG_PATH: '/x/ffmpeg', PATH: '/usr/bin' })).toBe('/x/ffmpeg');
    expect(await resolveFfmpegPath(undefined, { PATH: `${dir}:/usr/bin` })).toBe('/usr/bin/ffmpeg');
  });
});
