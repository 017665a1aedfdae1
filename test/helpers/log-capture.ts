// A pino logger whose JSON lines a test reads back as records (what a role logged, field by field).
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface CapturedLog {
  log: Logger;
  /** Every line logged so far, parsed, in order. */
  records: Array<Record<string, unknown>>;
}

export function captureLog(level = 'info'): CapturedLog {
  const records: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) records.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level }, sink), records };
}
