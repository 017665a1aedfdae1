// The per-session rules (src/ingest/session-rules.ts) as a table of message sequences.
import { describe, expect, it } from 'vitest';
import {
  connectApp,
  MAX_COMMAND_BYTES,
  messageAdmission,
  sessionStep,
  streamNameOf,
  type SessionEvent,
  type SessionState,
} from '../../src/ingest/session-rules.js';

const C = (app: unknown): SessionEvent => ({ kind: 'connect', app });
const PUB: SessionEvent = { kind: 'publish' };
const PLAY: SessionEvent = { kind: 'play' };
const MEDIA: SessionEvent = { kind: 'media' };

/** Runs events until the first refusal; returns the final phase or the refusal. */
function run(events: SessionEvent[]): string {
  let state: SessionState = { phase: 'handshake' };
  for (const e of events) {
    const v = sessionStep(state, e);
    if (!v.ok) return `${v.kind} at ${e.kind}: ${v.reason}`;
    state = v.state;
  }
  return state.phase;
}

describe('sessionStep: what one session may do', () => {
  it.each([
    ['connect, publish, media', [C('live'), PUB, MEDIA, MEDIA], 'publishing'],
    ['connect, play', [C('live'), PLAY], 'playing'],
    ['cfx/st is an app', [C('cfx/st'), PUB], 'publishing'],
    ['media from a player', [C('live'), PLAY, MEDIA], /^violation at media: media from a session that plays/],
    ['media before publish', [C('live'), MEDIA], /^violation at media: .*has not published/],
    ['media before connect', [MEDIA], /^violation at media/],
    ['two publishes', [C('live'), PUB, PUB], /^refused at publish: a second stream command .*publishing/],
    ['publish then play', [C('live'), PUB, PLAY], /^refused at play: a second stream command/],
    ['play then publish', [C('live'), PLAY, PUB], /^refused at publish: a second stream command .*playing/],
    ['two plays', [C('live'), PLAY, PLAY], /^refused at play: a second stream command/],
    ['publish without connect', [PUB], /^refused at publish: publish without a connect/],
    ['play without connect', [PLAY], /^refused at play: play without a connect/],
    ['two connects', [C('live'), C('other')], /^violation at connect: a second connect/],
    ['numeric app', [C(42), PUB], /^refused at publish: app is not a string \(AMF number\)/],
    ['boolean app', [C(true), PLAY], /^refused at play: app is not a string \(AMF boolean\)/],
    ['null app', [C(null), PUB], /AMF null/],
    ['missing app', [C(undefined), PUB], /AMF undefined/],
    ['array app squatting cfx/st', [C(['cfx_st']), PUB], /AMF array/],
    ['object app', [C({ app: 'live' }), PUB], /AMF object/],
    ['reserved app api', [C('api'), PUB], /app "api" is reserved/],
    ['reserved app hls-live', [C('hls-live'), PUB], /reserved/],
    ['reserved app vendor', [C('vendor'), PLAY], /reserved/],
    ['the NMS alias of cfx/st', [C('cfx_st'), PUB], /reserved/],
    ['app with a dot', [C('li.ve'), PUB], /invalid app name/],
    ['app with a slash', [C('a/b'), PUB], /invalid app name/],
    ['empty app', [C(''), PUB], /invalid app name/],
    ['a connect with a bad app is not refused until it publishes or plays', [C(7)], 'connected'],
  ] as const)('%s', (_name, events, want) => {
    const got = run([...events]);
    if (typeof want === 'string') expect(got).toBe(want);
    else expect(got).toMatch(want);
  });
});

describe('connectApp and streamNameOf', () => {
  it.each([
    ['live', true],
    ['livepkgr', true],
    ['cfx/st', true],
    ['cfx/st/x', false],
    ['healthz', false],
    ['_edge', false],
    ['x'.repeat(65), false],
  ])('connectApp(%j) ok=%s', (app, want) => {
    expect(connectApp(app).ok).toBe(want);
  });

  it.each([
    ['talk', { name: 'talk', query: '' }],
    ['talk?key=abc', { name: 'talk', query: 'key=abc' }],
    ['talk?a=1?b=2', { name: 'talk', query: 'a=1' }],
    ['', { name: '', query: '' }],
  ])('streamNameOf(%j)', (raw, want) => {
    expect(streamNameOf(raw)).toEqual({ ok: true, value: want });
  });

  it.each([null, 12, undefined, {}])('streamNameOf(%j) is refused', (raw) => {
    const r = streamNameOf(raw);
    expect(r.ok).toBe(false);
  });
});

describe('messageAdmission: decided at the header, before the payload is kept', () => {
  it.each([
    ['publishing', 9, 2_000_000, 'keep'],
    ['publishing', 8, 400, 'keep'],
    ['publishing', 18, 300, 'keep'],
    ['playing', 9, 100, /plays a stream/],
    ['playing', 18, 100, /plays a stream/],
    ['connected', 8, 10, /has not published/],
    ['handshake', 15, 10, /has not published/],
    ['connected', 20, 500, 'keep'],
    ['connected', 20, MAX_COMMAND_BYTES, 'keep'],
    ['connected', 20, MAX_COMMAND_BYTES + 1, /command message/],
    ['playing', 17, 8_000_000, /command message/],
    ['connected', 1, 4, 'keep'],
    ['connected', 4, 6, 'keep'],
    ['connected', 5, 100, /control message/],
    ['connected', 19, 8_000_000, 'discard'],
    ['publishing', 22, 1000, 'discard'],
    ['connected', 255, 10, 'discard'],
  ] as const)('%s, type %i, %i bytes → %s', (phase, type, length, want) => {
    const r = messageAdmission(phase, type, length);
    if (typeof want === 'string') expect(r).toEqual({ ok: true, value: want });
    else {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(want);
    }
  });
});
