import { describe, expect, it } from 'vitest';
import { canonicalPath } from '../../src/http/canonical-path.js';

describe('canonicalPath (RFC 3986 §6.2.2)', () => {
  const same: Array<[string, string]> = [
    ['/', '/'],
    ['/live/talk/playlist.m3u8', '/live/talk/playlist.m3u8'],
    ['/%70rivate/talk/playlist.m3u8', '/private/talk/playlist.m3u8'],
    ['/%50rivate/x', '/Private/x'],
    ['/live/tal%6b/playlist%2em3u8', '/live/talk/playlist.m3u8'],
    ['/pla%79er.js', '/player.js'],
    ['/a%7eb%5Fc%2D', '/a~b_c-'],
    ['/talk.isml/manifest%28format%3dm3u8-aapl%29.m3u8', '/talk.isml/manifest%28format%3Dm3u8-aapl%29.m3u8'],
    ['/a%20b', '/a%20b'],
    ['/a%c3%a9', '/a%C3%A9'],
    ['/a..b/c.', '/a..b/c.'],
    ['/a//b', '/a//b'],
  ];
  it.each(same)('%s → %s', (raw, want) => {
    expect(canonicalPath(raw)).toEqual({ ok: true, value: want });
  });

  const refused: string[] = [
    'live/x',
    '/%zz',
    '/%4',
    '/a%',
    '/a%2fb',
    '/a%2Fb',
    '/a%5cb',
    '/a\\b',
    '/a%00b',
    '/a\u0000b',
    '/a b',
    '/a\tb',
    '/é',
    '/../etc/passwd',
    '/live/./x',
    '/live/%2e%2e/x',
    '/live/.%2E/x',
    '/live/%2e/x',
    '/live/..',
    '/live/%2E',
  ];
  it.each(refused)('refuses %j', (raw) => {
    const r = canonicalPath(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('bad-path');
  });
});
