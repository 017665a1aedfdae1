import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { FILE_KINDS, filePolicy, notFoundCacheControl, type FileKind } from '../../src/origin/cache-policy.js';

const cache = defaultConfig().origin.cacheControl;

// The whole table: SPEC ORIGIN-01 (max-age defaults), SPEC 9 item 2 (Smooth 2 s / 60 s project
// defaults) and SPEC VOD-04 (Content-Type values).
const TABLE: Array<[FileKind, string, string, boolean]> = [
  ['hls-playlist', 'max-age=2', 'application/vnd.apple.mpegurl', true],
  ['hls-segment', 'max-age=60', 'video/MP2T', false],
  ['hds-manifest', 'max-age=2', 'application/f4m+xml', true],
  ['hds-bootstrap', 'max-age=2', 'application/octet-stream', false],
  ['hds-fragment', 'max-age=60', 'video/f4f', false],
  ['smooth-manifest', 'max-age=2', 'text/xml', true],
  ['smooth-fragment', 'max-age=60', 'video/mp4', false],
  // CMAF (LL-HLS, DASH): plain playlists as short as m3u8, media long-lived (they never change).
  ['llhls-master', 'max-age=2', 'application/vnd.apple.mpegurl', true],
  ['llhls-playlist', 'max-age=2', 'application/vnd.apple.mpegurl', true],
  ['dash-manifest', 'max-age=1', 'application/dash+xml', true],
  ['cmaf-init', 'max-age=60', 'video/mp4', false],
  ['cmaf-part', 'max-age=60', 'video/mp4', false],
  ['cmaf-segment', 'max-age=60', 'video/mp4', false],
];

describe('cache policy (SPEC ORIGIN-01, VOD-04)', () => {
  it('covers every file kind', () => {
    expect(TABLE.map((r) => r[0]).sort()).toEqual([...FILE_KINDS].sort());
  });

  it.each(TABLE)('%s → %s, %s', (kind, cc, type, manifest) => {
    const p = filePolicy(kind, cache);
    expect(p.cacheControl).toBe(cc);
    expect(p.contentType).toBe(type);
    expect(p.isManifest).toBe(manifest);
  });

  it('never marks media as compressible (GZ-03)', () => {
    for (const kind of ['hls-segment', 'hds-fragment', 'smooth-fragment', 'cmaf-init', 'cmaf-part', 'cmaf-segment'] as const) {
      expect(filePolicy(kind, cache).compressible).toBe(false);
    }
  });

  it('takes each max-age from its AMS-named config key', () => {
    const custom = defaultConfig({
      origin: {
        cacheControl: {
          HttpStreamingF4MMaxAge: 3,
          HttpStreamingBootstrapMaxAge: 4,
          HttpStreamingFragMaxAge: 61,
          m3u8MaxAge: 5,
          tsMaxAge: 62,
          smoothManifestMaxAge: 6,
          smoothFragMaxAge: 63,
          notFoundMaxAge: 7,
          dashManifestMaxAge: 8,
          cmafMediaMaxAge: 64,
        },
      },
    }).origin.cacheControl;
    expect(FILE_KINDS.map((k) => filePolicy(k, custom).cacheControl)).toEqual([
      'max-age=5',
      'max-age=62',
      'max-age=3',
      'max-age=4',
      'max-age=61',
      'max-age=6',
      'max-age=63',
      'max-age=5',
      'max-age=5',
      'max-age=8',
      'max-age=64',
      'max-age=64',
      'max-age=64',
    ]);
    expect(notFoundCacheControl(custom)).toBe('max-age=7');
  });

  it('refuses a CMAF media max-age under 60 s (they never change; SPEC ORIGIN-01)', () => {
    expect(() => defaultConfig({ origin: { cacheControl: { cmafMediaMaxAge: 10 } } })).toThrow();
  });

  it('gives a missing file a 1 s max-age by default', () => {
    expect(notFoundCacheControl(cache)).toBe('max-age=1');
  });
});
