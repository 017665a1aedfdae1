// A stream's timeline keeps one track per ABR rung; a run that produces fewer rungs drops the rest,
// so the LL-HLS master and the MPD never list a rendition that is no longer fed.
import { describe, expect, it } from 'vitest';
import { StreamTimeline } from '../../src/timeline/stream-timeline.js';
import { OPTS } from './fixture.js';

describe('StreamTimeline tracks', () => {
  it('has a track per input from the moment the run starts, and drops the ones asked', () => {
    const t = new StreamTimeline(OPTS);
    for (const id of ['video', 'video1', 'video2', 'audio']) t.input(id);
    expect(t.tracks.map((x) => x.id)).toEqual(['video', 'video1', 'video2', 'audio']);
    t.dropTracks(['video2']);
    expect(t.tracks.map((x) => x.id)).toEqual(['video', 'video1', 'audio']);
    expect(t.track('video2')).toBeUndefined();
    expect(t.growingBytes('video2', 0)).toBeUndefined();
    t.dropTracks(['nothing']);
    expect(t.tracks).toHaveLength(3);
  });
});
