// Stage 1 of a viewer request (recv): viewer limits, the Host → distribution mapping and the one
// canonical request every later stage reads. Nothing here talks to an origin: a request refused
// here is answered by the edge and never forwarded (SPEC ORG-03).
import type http from 'node:http';
import { HttpError } from '../result.js';
import { canonicalPath, canonicalQuery, queryPairs } from '../http/canonical-path.js';
import type { HostRoute, RuntimeDistribution } from './distribution.js';

/** The request as every rule sees it: behaviour match, signature, cache key, origin URL, invalidation, logs. */
export interface CanonicalRequest {
  method: string;
  /** canonicalPath() of the request target, before the default root object rewrite (DRO-01). */
  path: string;
  /** canonicalQuery() of the query string ('' when there is none). */
  query: string;
  /** The canonical query as decoded `[name, value]` pairs (signing parameters are read from these). */
  params: [string, string][];
  dist: RuntimeDistribution;
  /**
   * Authorities a signed URL's resource is built from (SIG-05): the distribution's own domain
   * name, and the alias or local listen address the Host named. Never the raw Host text.
   */
  signingNames: string[];
}

export interface RecvLimits {
  /** ORG-03: request line plus headers, in bytes. */
  maxRequestBytes: number;
  /** Header lines a viewer may send. */
  maxHeaderCount: number;
}

/** A Host header value: a DNS name or IPv4 address, or a bracketed IPv6 literal, and an optional port. */
const HOST_RE = /^(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_][A-Za-z0-9_-]{0,62})*\.?)(?::(\d{1,5}))?$/;

export interface ParsedHost {
  /** Lower-case name without port or trailing dot (IPv6 keeps its brackets). */
  name: string;
  port?: number;
}

/** RFC 9110 §7.2 `uri-host [ ":" port ]`, or undefined when the value is anything else. */
export function parseHost(value: string): ParsedHost | undefined {
  if (value.length > 261) return undefined;
  const m = HOST_RE.exec(value);
  if (!m) return undefined;
  let name = m[1] === undefined ? value : value.slice(0, value.length - m[1].length - 1);
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (m[1] === undefined) return { name: name.toLowerCase() };
  const port = Number(m[1]);
  if (port < 1 || port > 65535) return undefined;
  return { name: name.toLowerCase(), port };
}

let lastHost: { text: string | undefined; parsed: Readonly<ParsedHost> | undefined } = { text: undefined, parsed: undefined };
const frozen = <T extends object>(v: T | undefined): Readonly<T> | undefined => (v === undefined ? v : Object.freeze(v));

/** ORG-03: request line plus headers as the viewer sent them. */
export function requestHeaderBytes(req: http.IncomingMessage): number {
  let n = (req.method?.length ?? 3) + (req.url?.length ?? 1) + 12;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i++) n += raw[i]!.length + 2;
  return n + 2;
}

/**
 * Viewer limits and the canonical request. Throws HttpError:
 * - 413 for a request over ORG-03's byte limit, else 431 for more header lines than allowed;
 * - 400 for no Host (HTTP/1.1) or two,  a Host that is not host[:port], a path that canonicalPath() refuses
 *   (invalid escape, encoded `/` or `\`, NUL, dot-segment), an empty path segment (`//`, which
 *   many origins merge and which would dodge the behaviour match), or a bad query.
 */
export function recv(
  req: http.IncomingMessage,
  headerBytes: number,
  limits: RecvLimits,
  route: (host: ParsedHost | undefined) => HostRoute,
): CanonicalRequest {
  const raw = req.rawHeaders;
  if (headerBytes > limits.maxRequestBytes) throw new HttpError(413, 'RequestTooLarge', 'request too large');
  if (raw.length / 2 > limits.maxHeaderCount)
    throw new HttpError(431, 'TooManyHeaders', `more than ${limits.maxHeaderCount} request header lines`);
  let hostText: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      if (hostText !== undefined) throw new HttpError(400, 'DuplicateHost', 'more than one Host header');
      hostText = raw[i + 1]!;
    }
  }
  let host: ParsedHost | undefined;
  if (hostText === undefined && req.httpVersion !== '1.0') throw new HttpError(400, 'MissingHost', 'HTTP/1.1 requires a Host header');
  if (hostText !== undefined) {
    // parseHost is pure and viewers repeat one Host: the last answer is reused for the same text
    // (a frozen result, so no later stage can change what the next request reads).
    if (hostText !== lastHost.text) lastHost = { text: hostText, parsed: frozen(parseHost(hostText)) };
    host = lastHost.parsed;
    if (!host) throw new HttpError(400, 'InvalidHost', 'the Host header is not a valid host[:port]');
  }
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = canonicalPath(q < 0 ? url : url.slice(0, q));
  if (!path.ok) throw new HttpError(400, 'InvalidPath', path.reason);
  if (path.value.includes('//')) throw new HttpError(400, 'InvalidPath', 'empty path segment');
  const query = canonicalQuery(q < 0 ? '' : url.slice(q + 1));
  if (!query.ok) throw new HttpError(400, 'InvalidQuery', query.reason);
  const { dist, ownName } = route(host);
  const signingNames = [dist.domainName];
  if (ownName !== undefined && ownName !== dist.domainName) signingNames.push(ownName);
  return { method: req.method ?? 'GET', path: path.value, query: query.value, params: queryPairs(query.value), dist, signingNames };
}
