// The one result and error vocabulary of streamfront. A pure rule returns a Result; code that
// answers HTTP throws or returns an HttpError, which carries the status and a stable code.

/** Success with a value, or failure with a reason a person can read (and an optional code). */
export type Result<T = undefined, C extends string = string> = { ok: true; value: T } | { ok: false; reason: string; code?: C };

export function ok<T>(value: T): { ok: true; value: T };
export function ok(): { ok: true; value: undefined };
export function ok<T>(value?: T): { ok: true; value: T | undefined } {
  return { ok: true, value };
}

export function fail<C extends string = string>(reason: string, code?: C): { ok: false; reason: string; code?: C } {
  return code === undefined ? { ok: false, reason } : { ok: false, reason, code };
}

/** An HTTP answer that is not a success: the status, a stable machine-readable code, and why. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
