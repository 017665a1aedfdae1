// The one pino logger of the process; each role takes a child with its own `role` field.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string = 'info'): Logger {
  return pino({ level, base: { pid: process.pid } });
}

/** A logger that writes nothing: for tests and benchmarks that do not care. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
