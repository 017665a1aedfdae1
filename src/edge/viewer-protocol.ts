// SPEC TLS-01 Viewer Protocol Policy as one pure decision, and the viewer's scheme as the request
// path reads it. HTTP and HTTPS requests reach the same handler; the scheme is the socket's.
import type { BehaviourConfig } from '../config/edge.js';

export type ViewerScheme = 'http' | 'https';

/** `https` when the request came over TLS (HTTP/1.1 over TLS, or HTTP/2 whose compat socket proxies the TLS socket). */
export function viewerSchemeOf(req: { socket: unknown }): ViewerScheme {
  return (req.socket as { encrypted?: boolean } | null)?.encrypted === true ? 'https' : 'http';
}

export type ViewerProtocolDecision = { kind: 'serve' } | { kind: 'redirect'; location: string } | { kind: 'forbid'; reason: string };

export interface ViewerProtocolInput {
  policy: BehaviourConfig['viewerProtocolPolicy'];
  scheme: ViewerScheme;
  method: string;
  /** The viewer's Host header (or HTTP/2 :authority), if any. */
  host: string | undefined;
  /** The distribution's own name: the redirect target when Host is missing or not a host name. */
  domainName: string;
  /** Path and query exactly as requested. */
  pathAndQuery: string;
  /** The edge's HTTPS port; 0 when HTTPS is off here (then HTTPS is taken to be on 443 in front of the edge). */
  httpsPort: number;
}

/** A Host header value reduced to its name (`[v6]` kept bracketed), or undefined when it is not a plain host[:port]. */
export function hostNameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::\d{1,5})?$/.exec(host.trim());
  return m ? m[1]!.toLowerCase() : undefined;
}

/**
 * TLS-01: `allow-all` serves both schemes; over HTTP `redirect-to-https` answers GET and HEAD with
 * 301 to the same host on the HTTPS port (omitted when 443), same path and query, and refuses other
 * methods (a redirect would turn a POST into a GET); `https-only` refuses HTTP. With HTTPS off on
 * this edge the redirect names port 443, where a TLS terminator in front of it would listen.
 */
const SERVE: ViewerProtocolDecision = Object.freeze({ kind: 'serve' });

export function viewerProtocolDecision(input: ViewerProtocolInput): ViewerProtocolDecision {
  if (input.scheme === 'https' || input.policy === 'allow-all') return SERVE; // every hit passes here: no allocation
  if (input.policy === 'https-only') return { kind: 'forbid', reason: 'HTTPS is required' };
  if (input.method !== 'GET' && input.method !== 'HEAD') return { kind: 'forbid', reason: `HTTPS is required for ${input.method}` };
  const name = hostNameOf(input.host) ?? input.domainName;
  const port = input.httpsPort === 443 || input.httpsPort === 0 ? '' : `:${input.httpsPort}`;
  const path = input.pathAndQuery.startsWith('/') ? input.pathAndQuery : `/${input.pathAndQuery}`;
  return { kind: 'redirect', location: `https://${name}${port}${path}` };
}
