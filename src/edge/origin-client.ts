// The one HTTP client for origins (node:http with a keep-alive Agent, ORG-01), with SPEC ORG-02
// timeouts and retries. A failure before response headers is retried; after the last attempt
// the caller gets an OriginFailure (timeout → 504, refused/reset → 502, SPEC §9.16).
import http from 'node:http';
import type { Readable } from 'node:stream';

export interface OriginTarget {
  hostname: string;
  port: number;
  /** Origin path prefix from the origin URL ('' or '/prefix'). */
  basePath: string;
  /** Host header value for the origin (HDR-03). */
  hostHeader: string;
  timeoutMs: number;
  retries: number;
}

export class OriginFailure extends Error {
  constructor(
    readonly status: 502 | 504,
    readonly attempts: number,
    message: string,
  ) {
    super(message);
  }
}

export interface OriginRequest {
  method: string;
  /** Path and query as sent to the origin (basePath is prepended here). */
  path: string;
  headers: Record<string, string>;
  /** Streamed request body (pass-through methods); such requests are not retried. */
  body?: Readable;
}

export interface OriginResponse {
  res: http.IncomingMessage;
  req: http.ClientRequest;
  attempts: number;
}

export class OriginClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64, scheduling: 'lifo' });
  /** Origin requests started (attempts included): tests and benchmarks read it. */
  attempts = 0;

  /** `deadlineMs`: no further attempt starts once this long has passed (a caller with a fallback answer). */
  async request(target: OriginTarget, r: OriginRequest, deadlineMs?: number): Promise<OriginResponse> {
    const tries = r.body ? 1 : target.retries + 1;
    const started = performance.now();
    let last: { timeout: boolean; message: string } = { timeout: false, message: '' };
    let attempt = 1;
    for (; attempt <= tries; attempt++) {
      if (attempt > 1 && deadlineMs !== undefined && performance.now() - started >= deadlineMs) break;
      try {
        const { res, req } = await this.once(target, r);
        return { res, req, attempts: attempt };
      } catch (err) {
        last = err as { timeout: boolean; message: string };
      }
    }
    throw new OriginFailure(last.timeout ? 504 : 502, attempt - 1, last.message);
  }

  private once(target: OriginTarget, r: OriginRequest): Promise<{ res: http.IncomingMessage; req: http.ClientRequest }> {
    this.attempts++;
    return new Promise((resolve, reject) => {
      const req = http.request({
        agent: this.agent,
        host: target.hostname,
        port: target.port,
        method: r.method,
        path: target.basePath + r.path,
        headers: r.headers,
      });
      let responded = false;
      // ORG-02: nothing for timeoutMs, before or during the body, drops the connection.
      req.setTimeout(target.timeoutMs, () => {
        const err = Object.assign(new Error(`origin sent nothing for ${target.timeoutMs} ms`), { timeout: true });
        req.destroy(err);
      });
      req.once('response', (res) => {
        responded = true;
        resolve({ res, req });
      });
      req.on('error', (err: Error & { timeout?: boolean }) => {
        if (!responded) reject({ timeout: !!err.timeout, message: err.message });
      });
      if (r.body) r.body.pipe(req);
      else req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
