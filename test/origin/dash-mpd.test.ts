// The DASH manifest generated from timelines built by table.
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { dashManifest, type MpdSource } from '../../src/origin/dash-mpd.js';
import { AUDIO_INIT, feed, pattern, VIDEO_INIT, type Feed } from '../timeline/fixture.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => ['Period', 'AdaptationSet', 'S'].includes(name),
});

/** The fixtures' tracks as a stream (what StreamTimeline.input builds from ffmpeg). */
function streamOf(...feeds: Feed[]): MpdSource {
  return { tracks: feeds.map((f) => f.track), ended: feeds.every((f) => f.track.ended) };
}

const opts = { window: { windowSeconds: 12 }, utcTimingUrl: '/api/time', latencyTargetMs: 2000, nowMs: Date.UTC(2026, 11, 1, 10, 0, 10) };

describe('DASH manifest', () => {
  it('is nothing before the first complete segment', () => {
    const v = feed();
    v.add(pattern('Kp'));
    expect(dashManifest(streamOf(v), opts)).toBeUndefined();
  });

  it('live: dynamic, SegmentTimeline with $Number$, availabilityTimeOffset, UTCTiming, ServiceDescription', () => {
    const v = feed(VIDEO_INIT);
    const a = feed(AUDIO_INIT);
    v.add(pattern('Kppp Kppp Kp'));
    a.add(pattern('KKKK KKKK KK'));
    const mpd = parser.parse(dashManifest(streamOf(v, a), opts)!).MPD;
    expect(mpd.type).toBe('dynamic');
    expect(mpd.availabilityStartTime).toBe('2026-12-01T10:00:00.000Z');
    // Updated every second: the open segment's successor is announced soon after it starts.
    expect(mpd.minimumUpdatePeriod).toBe('PT1S');
    expect(mpd.UTCTiming).toEqual({ schemeIdUri: 'urn:mpeg:dash:utc:http-iso:2014', value: '/api/time' });
    expect(mpd.ServiceDescription.Latency.target).toBe('2000');
    const [video, audio] = mpd.Period[0].AdaptationSet;
    expect(mpd.Period[0].start).toBe('PT0S');
    expect(video.contentType).toBe('video');
    expect(audio.contentType).toBe('audio');
    const tpl = video.SegmentTemplate;
    expect(tpl).toMatchObject({
      timescale: '90000',
      startNumber: '0',
      media: 'seg_sfm4s_video_$Number$.m4s',
      initialization: 'init_sfm4s_video_0.mp4',
      // The open segment (announced 2.25 s long) is available once its first part is.
      availabilityTimeOffset: '1.750',
      availabilityTimeComplete: 'false',
    });
    // Two complete segments of 2 s, then the one being produced with its predicted duration.
    expect(tpl.SegmentTimeline.S).toEqual([{ t: '0', d: '180000' }, { d: '180000' }, { d: '202500' }]);
    expect(video.Representation).toMatchObject({ id: 'video', codecs: 'avc1.4d401f', width: '1280', height: '720' });
    expect(audio.Representation).toMatchObject({ id: 'audio', codecs: 'mp4a.40.2', audioSamplingRate: '48000' });
  });

  it('one Period per packager run, starting at its server-clock time', () => {
    const v = feed();
    v.add(pattern('Kppp Kppp'));
    v.restart(5_000_000);
    v.add(pattern('Kppp Kppp Kp'));
    const mpd = parser.parse(dashManifest(streamOf(v), opts)!).MPD;
    expect(mpd.Period.map((p: { id: string }) => p.id)).toEqual(['p0', 'p1']);
    // Run 1 ended at 4 s; the fixture's clock skips 1 s at a restart: the second run starts at 5 s.
    expect(mpd.Period[1].start).toBe('PT5S');
    const tpl = mpd.Period[1].AdaptationSet[0].SegmentTemplate;
    expect(tpl.presentationTimeOffset).toBe('5000000');
    expect(tpl.initialization).toBe('init_sfm4s_video_1.mp4');
    expect(tpl.startNumber).toBe('2');
  });

  it('ended: static, no UTCTiming or update period, every segment listed', () => {
    const v = feed();
    v.add(pattern('Kppp Kppp Kp'));
    v.track.end();
    const mpd = parser.parse(dashManifest(streamOf(v), opts)!).MPD;
    expect(mpd.type).toBe('static');
    expect(mpd.mediaPresentationDuration).toBe('PT5S');
    expect(mpd.minimumUpdatePeriod).toBeUndefined();
    expect(mpd.UTCTiming).toBeUndefined();
    expect(mpd.Period[0].AdaptationSet[0].SegmentTemplate.SegmentTimeline.S).toHaveLength(3);
    expect(mpd.Period[0].AdaptationSet[0].SegmentTemplate.availabilityTimeOffset).toBeUndefined();
  });
});

describe('DASH manifest of an ABR ladder', () => {
  const rung = { ...VIDEO_INIT, width: 640, height: 360, codec: 'avc1.4d401e' };
  it('one video AdaptationSet, a Representation per rung, one shared template when the rungs are aligned', () => {
    const v = feed(VIDEO_INIT);
    const v1 = feed(rung, undefined, undefined, 'video1');
    const a = feed(AUDIO_INIT);
    for (const f of [v, v1]) f.add(pattern('Kppp Kppp Kp'));
    a.add(pattern('KKKK KKKK KK'));
    const mpd = parser.parse(dashManifest(streamOf(v, v1, a), opts)!).MPD;
    const sets = mpd.Period[0].AdaptationSet;
    expect(sets.map((s: { contentType: string }) => s.contentType)).toEqual(['video', 'audio']);
    const video = sets[0];
    expect(video.Representation.map((r: { id: string; width: string }) => [r.id, r.width])).toEqual([
      ['video', '1280'],
      ['video1', '640'],
    ]);
    expect(video.SegmentTemplate).toMatchObject({
      media: 'seg_sfm4s_$RepresentationID$_$Number$.m4s',
      initialization: 'init_sfm4s_$RepresentationID$_0.mp4',
    });
  });

  it('rungs whose timelines differ keep a template each', () => {
    const v = feed(VIDEO_INIT);
    const v1 = feed(rung, undefined, undefined, 'video1');
    v.add(pattern('Kppp Kppp Kp'));
    v1.add(pattern('Kpppp Kppp Kp'));
    const mpd = parser.parse(dashManifest(streamOf(v, v1), opts)!).MPD;
    const video = mpd.Period[0].AdaptationSet[0];
    expect(video.SegmentTemplate).toBeUndefined();
    expect(video.Representation.map((r: { SegmentTemplate: { media: string } }) => r.SegmentTemplate.media)).toEqual([
      'seg_sfm4s_video_$Number$.m4s',
      'seg_sfm4s_video1_$Number$.m4s',
    ]);
  });
});
