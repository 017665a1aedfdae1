// The one pino logger of the process; each role takes a child with its own `role` field.
// A person at a terminal gets pino-pretty lines (pino's own transport, in a worker thread); a pipe,
// a file, journald or a log shipper gets one JSON object per line.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** What `--log-format` asks for: `auto` decides by whether stdout is a terminal. */
export type LogFormatSetting = 'auto' | 'json' | 'pretty';
export type LogFormat = 'json' | 'pretty';

/** `auto` is pretty on a TTY and JSON otherwise; an explicit choice always wins. */
export function resolveLogFormat(setting: LogFormatSetting, stdoutIsTTY: boolean): LogFormat {
  if (setting === 'auto') return stdoutIsTTY ? 'pretty' : 'json';
  return setting;
}

export function createLogger(level: string = 'info', format: LogFormat = 'json'): Logger {
  if (format === 'pretty') {
    return pino({
      level,
      transport: {
        target: 'pino-pretty',
        // Colours only when the terminal can show them; times local and short, as a person reads them.
        options: { destination: 1, colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return pino({ level, base: { pid: process.pid } });
}

/** A logger that writes nothing: for tests and benchmarks that do not care. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
