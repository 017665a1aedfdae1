// The limits every HTTP server of streamfront (origin, edge) applies to its clients, one shape for
// both; each role has its own defaults. Enforced by src/http/server-limits.ts.
import { z } from 'zod';

export interface HttpServerLimitDefaults {
  headersTimeoutSeconds: number;
  requestTimeoutSeconds: number;
  idleTimeoutSeconds: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
}

export function httpServerLimitsSchema(d: HttpServerLimitDefaults) {
  return z
    .object({
      /** The request line and headers must have arrived this long after the request began (slow headers). */
      headersTimeoutSeconds: z.number().positive().default(d.headersTimeoutSeconds),
      /** The whole request, body included, must have arrived this long after it began (slow bodies): 408 and close. */
      requestTimeoutSeconds: z.number().positive().default(d.requestTimeoutSeconds),
      /** A kept-alive connection with no request in progress is closed after this long. */
      idleTimeoutSeconds: z.number().positive().default(d.idleTimeoutSeconds),
      /** Open connections in total; one more is closed at once (0 = no cap). */
      maxConnections: z.number().int().min(0).default(d.maxConnections),
      /** Open connections from one client address (IPv4-mapped and IPv6 spellings count as one); 0 = no cap. */
      maxConnectionsPerAddress: z.number().int().min(0).default(d.maxConnectionsPerAddress),
    })
    .strict()
    .refine((l) => l.headersTimeoutSeconds <= l.requestTimeoutSeconds, {
      message: 'headersTimeoutSeconds must not exceed requestTimeoutSeconds',
      path: ['headersTimeoutSeconds'],
    });
}

export type HttpServerLimits = z.infer<ReturnType<typeof httpServerLimitsSchema>>;

/**
 * Origin: its usual client is the edge, whose keep-alive agent opens up to 512 connections to one
 * origin, so the per-address cap sits above that. Idle connections: Node's own 5 s.
 */
export const ORIGIN_HTTP_LIMITS: HttpServerLimitDefaults = {
  headersTimeoutSeconds: 10,
  requestTimeoutSeconds: 30,
  idleTimeoutSeconds: 5,
  maxConnections: 4096,
  maxConnectionsPerAddress: 1024,
};

/**
 * Edge: viewers. The idle timeout stays above the 60 s idle timeout of the load balancers commonly
 * put in front, so the edge never closes a connection such a balancer is about to reuse.
 */
export const EDGE_HTTP_LIMITS: HttpServerLimitDefaults = {
  headersTimeoutSeconds: 10,
  requestTimeoutSeconds: 30,
  idleTimeoutSeconds: 65,
  maxConnections: 8192,
  maxConnectionsPerAddress: 1024,
};
