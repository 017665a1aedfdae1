// SPEC EDGE-04 / EDGE-05, straight from the guide's examples.
import { describe, expect, it } from 'vitest';
import { compilePathPattern, matchBehaviour } from '../../src/edge/path-pattern.js';

describe('EDGE-05 path patterns', () => {
  const cases: [string, string, boolean][] = [
    ['/*.jpg', '/photo.jpg', true],
    ['/*.jpg', '/deep/dir/photo.jpg', true], // * includes /
    ['/*.jpg', '/photo.jpeg', false],
    ['/images/*.jpg', '/images/a.jpg', true],
    ['/images/*.jpg', '/images/sub/folder/a.jpg', true],
    ['/images/*.jpg', '/other/a.jpg', false],
    ['/a*.jpg', '/apple.jpg', true],
    ['/a*.jpg', '/abra/cadabra/magic.jpg', true],
    ['/a*.jpg', '/banana.jpg', false],
    ['/a??.jpg', '/ant.jpg', true],
    ['/a??.jpg', '/an.jpg', false],
    ['/a??.jpg', '/ants.jpg', false],
    ['/*.doc*', '/file.doc', true],
    ['/*.doc*', '/file.docx', true],
    ['/*.doc*', '/file.docm', true],
    ['/*.doc?', '/file.doc', false], // "*.doc? would miss .doc"
    ['/*.doc?', '/file.docx', true],
    ['/*.jpg', '/LOGO.JPG', false], // case-sensitive
    ['images/*.jpg', '/images/a.jpg', true], // leading / optional
    ['*', '/anything/at/all', true],
    ['/live/*/playlist.m3u8', '/live/demo/playlist.m3u8', true],
    ['/a.b', '/aXb', false], // . is literal
  ];
  it.each(cases)('%s vs %s → %s', (pattern, path, expected) => {
    expect(compilePathPattern(pattern)(path)).toBe(expected);
  });
  it('regex metacharacters in paths are literal', () => {
    expect(compilePathPattern('/x$y+z')('/x$y+z')).toBe(true);
    expect(compilePathPattern('/x$y+z')('/x$yyz')).toBe(false);
  });
});

describe('EDGE-04 ordering', () => {
  const patterns = ['/images/*.jpg', '/images/*', '/*.gif'].map(compilePathPattern);
  it('the first match wins: /images/sample.gif uses the 2nd behaviour', () => {
    expect(matchBehaviour(patterns, '/images/sample.gif')).toBe(1);
  });
  it('/images/a.jpg uses the 1st, /x.gif the 3rd, anything else the default (-1)', () => {
    expect(matchBehaviour(patterns, '/images/a.jpg')).toBe(0);
    expect(matchBehaviour(patterns, '/x.gif')).toBe(2);
    expect(matchBehaviour(patterns, '/index.html')).toBe(-1);
  });
});
