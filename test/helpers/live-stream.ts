// A live stream as the registry holds it once ingest and packaging run, for tests that serve a
// stream's files without publishing one: a fixed session, publisher and start time, packaging
// running; `extra` sets anything else (codecs, event, rungs…).
import type { LiveStream } from '../../src/streams/registry.js';

export function liveStream(app: string, name: string, extra: Partial<LiveStream> = {}): LiveStream {
  return {
    key: { app, name },
    recordMode: false,
    sessionId: 's1',
    publisherIp: '127.0.0.1',
    startedAt: new Date('2026-11-25T12:00:00Z'),
    packaging: 'running',
    ...extra,
  };
}
