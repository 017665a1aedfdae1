// The one HTTP client for origins (node:http / node:https with keep-alive Agents, ORG-01), with
// SPEC ORG-02 timeouts and retries and ORG-04 origin protocol policies. A failure before response
// headers is retried; after the last attempt the caller gets an OriginFailure (timeout → 504,
// refused/reset/bad certificate → 502, SPEC §9.16, RSP-02).
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { fail, ok, type Result } from '../result.js';

/** SPEC ORG-04: how the edge talks to an origin. */
export type OriginProtocolPolicy = 'http-only' | 'https-only' | 'match-viewer';

export interface OriginTransportConfig {
  originProtocolPolicy?: OriginProtocolPolicy;
  httpPort?: number;
  httpsPort?: number;
  tlsVerify?: boolean;
}

export interface OriginTransport {
  protocolPolicy: OriginProtocolPolicy;
  httpPort: number;
  httpsPort: number;
  tlsVerify: boolean;
}

/**
 * ORG-04 settings of an origin URL: the policy defaults from the scheme (`http://` → http-only,
 * `https://` → https-only); each port defaults to the URL's port when the URL has that scheme,
 * else to 80 / 443; certificates are checked unless `tlsVerify: false`.
 */
export function originTransport(url: URL, cfg: OriginTransportConfig = {}): OriginTransport {
  const isHttps = url.protocol === 'https:';
  const urlPort = url.port ? Number(url.port) : undefined;
  return {
    protocolPolicy: cfg.originProtocolPolicy ?? (isHttps ? 'https-only' : 'http-only'),
    httpPort: cfg.httpPort ?? (!isHttps && urlPort !== undefined ? urlPort : 80),
    httpsPort: cfg.httpsPort ?? (isHttps && urlPort !== undefined ? urlPort : 443),
    tlsVerify: cfg.tlsVerify ?? true,
  };
}

/** Where one request goes: the scheme by the policy (and the viewer's scheme for match-viewer), its port, and the Host for it. */
export function originEndpoint(
  target: Pick<OriginTarget, 'hostname' | 'port'> & Partial<OriginTransport>,
  viewerScheme: 'http' | 'https' = 'http',
): { scheme: 'http' | 'https'; port: number; hostHeader: string } {
  const policy = target.protocolPolicy ?? 'http-only';
  const scheme = policy === 'match-viewer' ? viewerScheme : policy === 'https-only' ? 'https' : 'http';
  const port = policy === 'match-viewer' ? (scheme === 'https' ? (target.httpsPort ?? 443) : (target.httpPort ?? 80)) : target.port;
  const name = isIP(target.hostname) === 6 ? `[${target.hostname}]` : target.hostname;
  const hostHeader = port === (scheme === 'https' ? 443 : 80) ? name : `${name}:${port}`;
  return { scheme, port, hostHeader };
}

export interface OriginTarget extends Partial<OriginTransport> {
  hostname: string;
  /** The port requests go to under http-only / https-only (the URL's, or its scheme's default). */
  port: number;
  /** Origin path prefix from the origin URL ('' or '/prefix'). */
  basePath: string;
  /** Host header value for the origin (HDR-03). */
  hostHeader: string;
  timeoutMs: number;
  retries: number;
  /** Origin custom headers, lower-case names: sent on every request, replacing any header of the same name. */
  customHeaders?: readonly [string, string][];
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
  /** The viewer's scheme, which a match-viewer origin is asked in (ORG-04). */
  viewerScheme?: 'http' | 'https';
}

export interface OriginResponse {
  res: http.IncomingMessage;
  req: http.ClientRequest;
  attempts: number;
}

type AttemptResult = Result<{ res: http.IncomingMessage; req: http.ClientRequest }, 'timeout' | 'failed'>;

export class OriginClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64, scheduling: 'lifo' });
  // One agent for TLS origins: it pools by host, port, servername and rejectUnauthorized, so
  // verified and unverified origins never share a connection.
  private readonly tlsAgent = new https.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64, scheduling: 'lifo' });
  /** Origin requests started (attempts included): tests and benchmarks read it. */
  attempts = 0;

  /** `deadlineMs`: no further attempt starts once this long has passed (a caller with a fallback answer). */
  async request(target: OriginTarget, r: OriginRequest, deadlineMs?: number): Promise<OriginResponse> {
    const tries = r.body ? 1 : target.retries + 1;
    const started = performance.now();
    let last: AttemptResult = fail('', 'failed');
    let attempt = 1;
    for (; attempt <= tries; attempt++) {
      if (attempt > 1 && deadlineMs !== undefined && performance.now() - started >= deadlineMs) break;
      last = await this.once(target, r);
      if (last.ok) return { ...last.value, attempts: attempt };
    }
    throw new OriginFailure(!last.ok && last.code === 'timeout' ? 504 : 502, attempt - 1, last.ok ? '' : last.reason);
  }

  /** One attempt: the response, or why there was none (`timeout`: ORG-02's, which makes a 504). */
  private once(target: OriginTarget, r: OriginRequest): Promise<AttemptResult> {
    this.attempts++;
    const endpoint = originEndpoint(target, r.viewerScheme);
    // Host was set to the origin's own name (HDR-03); under match-viewer its port follows the endpoint.
    let headers =
      r.headers['host'] === target.hostHeader && endpoint.hostHeader !== target.hostHeader
        ? { ...r.headers, host: endpoint.hostHeader }
        : r.headers;
    if (target.customHeaders) {
      // Set here, per target, so each member of an origin group gets its own; the request's other
      // headers were built without any viewer header of these names (ForwardingRules.originOwned).
      headers = { ...headers };
      for (const [n, v] of target.customHeaders) headers[n] = v;
    }
    return new Promise((resolve) => {
      const options = { host: target.hostname, port: endpoint.port, method: r.method, path: target.basePath + r.path, headers };
      const req =
        endpoint.scheme === 'https'
          ? https.request({
              ...options,
              agent: this.tlsAgent,
              // ORG-04: SNI is the origin's domain name, and its certificate must name it (RSP-02: else 502).
              servername: isIP(target.hostname) ? undefined : target.hostname,
              rejectUnauthorized: target.tlsVerify ?? true,
            })
          : http.request({ ...options, agent: this.agent });
      let responded = false;
      // ORG-02: nothing for timeoutMs, before or during the body, drops the connection.
      req.setTimeout(target.timeoutMs, () => {
        const err = Object.assign(new Error(`origin sent nothing for ${target.timeoutMs} ms`), { timeout: true });
        req.destroy(err);
      });
      req.once('response', (res) => {
        responded = true;
        resolve(ok({ res, req }));
      });
      // A 101 the edge never asked for (it sends no Upgrade) is not an answer: without this
      // listener Node would drop the socket and the attempt would hang until the timeout.
      req.once('upgrade', (_res, socket) => {
        socket.destroy();
        resolve(fail('origin answered 101 Switching Protocols without an upgrade request', 'failed'));
      });
      req.on('error', (err: Error & { timeout?: boolean }) => {
        if (!responded) resolve(fail(err.message, err.timeout ? 'timeout' : 'failed'));
      });
      if (r.body) r.body.pipe(req);
      else req.end();
    });
  }

  close(): void {
    this.agent.destroy();
    this.tlsAgent.destroy();
  }
}
