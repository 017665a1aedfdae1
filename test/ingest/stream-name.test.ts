import { describe, expect, it } from 'vitest';
import { appFromNms, livePlayName, nmsAppFor, parsePublish, NMS_CLOUDFRONT_ALIAS, MAX_QUERY_CHARS } from '../../src/ingest/stream-name.js';
import { cloudFrontPlayApp } from '../../src/streams/stream-key.js';

describe('parsePublish: every ingest form', () => {
  it('Wowza style rtmp://host/<app>/<stream> (SPEC ING-03)', () => {
    expect(parsePublish('livecf', 'myStream', {})).toEqual({
      ok: true,
      target: { key: { app: 'livecf', name: 'myStream' }, recordMode: false },
    });
    expect(parsePublish('live', 'talk')).toMatchObject({ ok: true, target: { key: { app: 'live', name: 'talk' } } });
  });

  it('livepkgr with adbe-live-event (SPEC ING-01)', () => {
    expect(parsePublish('livepkgr', 'livestream', { 'adbe-live-event': 'liveevent' })).toEqual({
      ok: true,
      target: { key: { app: 'livepkgr', name: 'livestream' }, event: 'liveevent', recordMode: false },
    });
  });

  it('livepkgr with adbe-record-mode=record (SPEC ING-01)', () => {
    expect(parsePublish('livepkgr', 'livestream', { 'adbe-live-event': 'liveevent', 'adbe-record-mode': 'record' })).toEqual({
      ok: true,
      target: { key: { app: 'livepkgr', name: 'livestream' }, event: 'liveevent', recordMode: true },
    });
    expect(parsePublish('livepkgr', 'livestream', { 'adbe-live-event': 'e', 'adbe-record-mode': 'append' })).toMatchObject({ ok: false });
  });

  it('CloudFront two-level app cfx/st (SPEC RTMP-10/11)', () => {
    expect(parsePublish('cfx/st', 'talk')).toMatchObject({ ok: true, target: { key: { app: 'cfx/st', name: 'talk' } } });
  });

  it('carries the publish key', () => {
    expect(parsePublish('live', 'talk', { key: 'abc' })).toMatchObject({ ok: true, target: { presentedKey: 'abc' } });
  });

  it.each([
    ['live', '../etc'],
    ['live', '..'],
    ['live', 'a/b'],
    ['live', 'a%2Fb'],
    ['live', 'a b'],
    ['live', 'name\u0000'],
    ['live', ''],
    ['live', 'x'.repeat(129)],
    ['..', 'talk'],
    ['a/b', 'talk'],
    ['cfx/st/x', 'talk'],
    ['', 'talk'],
  ])('refuses bad or traversing names: app=%j name=%j', (app, name) => {
    const r = parsePublish(app, name);
    expect(r.ok).toBe(false);
  });

  it.each(['api', 'healthz', 'hls-live', 'hds-live', 'player', NMS_CLOUDFRONT_ALIAS])('refuses the reserved app %s', (app) => {
    const r = parsePublish(app, 'talk');
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) expect(r.reason).toMatch(/reserved/);
  });

  it('refuses bad event names, repeated parameters and huge queries', () => {
    expect(parsePublish('livepkgr', 's', { 'adbe-live-event': '../x' }).ok).toBe(false);
    expect(parsePublish('livepkgr', 's', { 'adbe-live-event': ['a', 'b'] }).ok).toBe(false);
    expect(parsePublish('live', 's', { key: ['a', 'b'] }).ok).toBe(false);
    expect(parsePublish('live', 's', { junk: 'x'.repeat(MAX_QUERY_CHARS + 1) }).ok).toBe(false);
    expect(parsePublish('live', 's', { other: 'fine' }).ok).toBe(true);
  });
});

describe('node-media-server app alias for cfx/st (FIELD-NOTES §3)', () => {
  it('maps cfx/st to a one-segment alias and back', () => {
    expect(nmsAppFor('cfx/st')).toBe(NMS_CLOUDFRONT_ALIAS);
    expect(appFromNms(NMS_CLOUDFRONT_ALIAS)).toBe('cfx/st');
    expect(nmsAppFor('live')).toBe('live');
    expect(appFromNms('live')).toBe('live');
  });
  it('does not let a client reach the alias directly', () => {
    expect(nmsAppFor(NMS_CLOUDFRONT_ALIAS)).toBeNull();
  });
});

describe('livePlayName: FMS play-name forms (SPEC RTMP-21/22, PROJECT live rule)', () => {
  it.each([
    ['mp4:sydney-vacation.mp4', 'sydney-vacation'],
    ['mp4:sydney-vacation', 'sydney-vacation'],
    ['sydney-vacation', 'sydney-vacation'],
    ['sydney-vacation.flv', 'sydney-vacation'],
    ['mp3:x', 'x'],
    ['MP4:talk', 'talk'],
    ['talk?key=1', 'talk?key=1'],
    ['mp4:talk.mp4?a=b', 'talk?a=b'],
  ])('%s plays %s', (requested, name) => {
    expect(livePlayName(requested)).toBe(name);
  });
});

describe('cloudFrontPlayApp: rtmp://host/cfx/st/<name> plays a live stream of any app (SPEC RTMP-10/12, PROJECT)', () => {
  const live = [
    { app: 'live', name: 'talk' },
    { app: 'livepkgr', name: 'lp' },
    { app: 'live', name: 'both' },
    { app: 'livecf', name: 'both' },
    { app: 'cfx/st', name: 'cf' },
    { app: 'live', name: 'cf' },
  ];
  it.each([
    ['talk', 'live'],
    ['lp', 'livepkgr'],
    ['both', undefined], // ambiguous: two apps carry it
    ['cf', undefined], // published under cfx/st itself: play it there
    ['absent', undefined],
  ])('%s → %s', (name, app) => {
    expect(cloudFrontPlayApp(name, live)).toBe(app);
  });
});
