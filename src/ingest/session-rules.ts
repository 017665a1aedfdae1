// Pure: what one RTMP session may do, in order. node-media-server lets any session send media
// into the stream it last named, publish twice, play after publishing, and take its app from any
// AMF value; these rules close each of those (FIELD-NOTES §7, "Later findings").
//   - one `connect`, whose app is a string that passes the app rules (or the call is refused later);
//   - then exactly one `publish` or one `play`: never both, never two;
//   - audio, video and data messages only from a session whose publish was accepted.
import { CLOUDFRONT_APP, isValidApp, RESERVED_APPS } from '../streams/stream-key.js';
import { NMS_CLOUDFRONT_ALIAS } from './stream-name.js';
import { fail, ok, type Result } from '../result.js';

export type SessionPhase = 'handshake' | 'connected' | 'publishing' | 'playing';

export interface SessionState {
  phase: SessionPhase;
  /** The app of the connect, or why it cannot be used (decided at connect, reported at publish/play). */
  app?: Result<string>;
}

export type SessionEvent = { kind: 'connect'; app: unknown } | { kind: 'publish' } | { kind: 'play' } | { kind: 'media' };

/**
 * `violation`: the session broke the protocol rules and is disconnected at once.
 * `refused`: a publish or play that is not allowed; the session is disconnected, and the
 * refusal is logged as `publish refused` / `play refused`.
 */
export type SessionVerdict = { ok: true; state: SessionState } | { ok: false; kind: 'violation' | 'refused'; reason: string };

/** The app a client connected to, if it is one we accept: a string, a valid app name, not reserved. */
export function connectApp(app: unknown): Result<string> {
  if (typeof app !== 'string')
    return fail(`app is not a string (AMF ${app === null ? 'null' : Array.isArray(app) ? 'array' : typeof app})`);
  const shown = JSON.stringify(app.length > 80 ? `${app.slice(0, 80)}…` : app);
  if (RESERVED_APPS.has(app) || app === NMS_CLOUDFRONT_ALIAS) return fail(`app ${shown} is reserved`);
  if (app !== CLOUDFRONT_APP && !isValidApp(app)) return fail(`invalid app name ${shown}`);
  return ok(app);
}

export function sessionStep(state: SessionState, event: SessionEvent): SessionVerdict {
  const refuse = (kind: 'violation' | 'refused', reason: string): SessionVerdict => ({ ok: false, kind, reason });
  switch (event.kind) {
    case 'connect':
      if (state.phase !== 'handshake') return refuse('violation', 'a second connect on one session');
      return { ok: true, state: { phase: 'connected', app: connectApp(event.app) } };
    case 'publish':
    case 'play': {
      if (state.phase === 'handshake') return refuse('refused', `${event.kind} without a connect`);
      if (state.phase !== 'connected') return refuse('refused', `a second stream command on one session (already ${state.phase})`);
      if (state.app && !state.app.ok) return refuse('refused', state.app.reason);
      return { ok: true, state: { ...state, phase: event.kind === 'publish' ? 'publishing' : 'playing' } };
    }
    case 'media':
      if (state.phase !== 'publishing') {
        return refuse(
          'violation',
          state.phase === 'playing' ? 'media from a session that plays a stream' : 'media from a session that has not published',
        );
      }
      return { ok: true, state };
  }
}

/** The stream name part of a publish or play name (`name?query`), as node-media-server splits it. */
export function streamNameOf(raw: unknown): Result<{ name: string; query: string }> {
  if (typeof raw !== 'string') return fail(`stream name is not a string (AMF ${raw === null ? 'null' : typeof raw})`);
  const q = raw.indexOf('?');
  const name = q < 0 ? raw : raw.slice(0, q);
  // The query goes to NMS's querystring parser as NMS itself would split it.
  const query = q < 0 ? '' : (raw.slice(q + 1).split('?')[0] ?? '');
  return ok({ name, query });
}

/** Commands (`connect`, `publish`, …) are a few hundred bytes; this leaves room for long URLs and queries. */
export const MAX_COMMAND_BYTES = 64 * 1024;
/** Protocol control and user control messages are 4–10 bytes. */
const MAX_CONTROL_BYTES = 64;

/**
 * Decided when a message's header arrives, before its payload is kept: media and data only from
 * an accepted publisher, commands and control messages only at their real sizes, and types
 * node-media-server ignores (shared objects, aggregates, unknown) read and thrown away.
 */
export function messageAdmission(phase: SessionPhase, type: number, length: number): Result<'keep' | 'discard'> {
  if (type >= 1 && type <= 6) return length <= MAX_CONTROL_BYTES ? ok('keep') : fail(`control message type ${type} of ${length} bytes`);
  if (type === 17 || type === 20)
    return length <= MAX_COMMAND_BYTES ? ok('keep') : fail(`command message of ${length} bytes (at most ${MAX_COMMAND_BYTES})`);
  if (type === 8 || type === 9 || type === 15 || type === 18) {
    const v = sessionStep({ phase }, { kind: 'media' });
    return v.ok ? ok('keep') : fail(v.reason);
  }
  return ok('discard');
}
