// The edge's control API (SPEC INV-06, and today's CloudFront API): the thin I/O layer over the
// pure rules beside it. One entry, `createControlApi(deps)`, answers every request whose path
// starts with a served API version; such requests are never viewer requests. Both versions share
// one book of invalidations per distribution.
import type http from 'node:http';
import { createHash } from 'node:crypto';
import type { EdgeConfig, DistributionConfig } from '../../config/edge.js';
import type { Logger } from '../../log.js';
import { HttpError } from '../../result.js';
import { newRequestId } from '../request-id.js';
import { apiEnabled, authenticate, AUTH_STATUS, preAuthenticate, type Credentials } from './auth.js';
import { batchMatcher, InvalidationBook, parseInvalidationBatch } from './invalidations.js';
import { requestApiVersion, routeOf, type Operation } from './routes.js';
import { sha256Hex } from './sigv4.js';
import {
  distributionConfigXml,
  distributionListXml,
  distributionXml,
  errorXml,
  invalidationListXml,
  invalidationXml,
  type ApiVersion,
  type DistributionFacts,
} from './xml.js';

export { isControlApiPath } from './routes.js';

/** Largest request body read (an InvalidationBatch); larger ones are refused with BatchTooLarge. */
export const MAX_BODY_BYTES = 1024 * 1024;
const MAX_LIST_ITEMS = 100;

export interface ControlDistribution {
  id: string;
  cfg: DistributionConfig;
  /** The origin URL used when `cfg.origins` is empty (`edge.origin` or `--origin`). */
  defaultOriginUrl: string;
}

export interface ControlApiDeps {
  cfg: EdgeConfig;
  distributions: readonly ControlDistribution[];
  /** Removes the distribution's cached objects whose invalidation path matches; returns how many went. */
  removeFromCache(distributionId: string, matches: (invalidationPath: string) => boolean): number;
  /** SPEC INV-01: a path served by a Smooth Streaming behaviour is not invalidated. */
  isSmoothStreamingPath(distributionId: string, path: string): boolean;
  /** Counts invalidation paths for the stats (INV-05). */
  onInvalidated?(distributionId: string, paths: number): void;
  log: Logger;
  now?: () => number;
}

export type ControlApi = ((req: http.IncomingMessage, res: http.ServerResponse) => void) & {
  /** The books, for tests and stats. */
  readonly books: ReadonlyMap<string, InvalidationBook>;
};

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

function etagOf(f: DistributionFacts): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([f.cfg, f.origins]))
    .digest();
  let out = '';
  for (let i = 0; i < 13; i++) out += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[digest[i]! % 32];
  return `E${out}`;
}

/** `host[:port]` as sent, if it is one; used only to build the Location of a new invalidation. */
function hostOf(host: string | undefined): string {
  return host !== undefined && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) ? host : 'localhost';
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(new HttpError(413, 'BatchTooLarge', `request body larger than ${limit} bytes`));
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        req.removeAllListeners('data');
        req.pause();
        reject(new HttpError(413, 'BatchTooLarge', `request body larger than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function maxItemsOf(params: URLSearchParams): number {
  const given = params.get('MaxItems');
  if (given === null) return MAX_LIST_ITEMS;
  if (!/^\d{1,9}$/.test(given) || Number(given) < 1)
    throw new HttpError(400, 'InvalidArgument', `MaxItems must be a positive integer, got "${given}"`);
  return Math.min(Number(given), MAX_LIST_ITEMS);
}

export function createControlApi(deps: ControlApiDeps): ControlApi {
  const { cfg, log } = deps;
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const creds: Credentials = {
    adminToken: cfg.adminToken,
    secrets: new Map(cfg.accessKeys.map((k) => [k.accessKeyId, k.secretAccessKey])),
  };
  const books = new Map<string, InvalidationBook>();
  const byId = new Map<string, ControlDistribution>();
  for (const d of deps.distributions) {
    byId.set(d.id, d);
    books.set(d.id, new InvalidationBook(d.id, cfg.invalidation));
  }

  const facts = (d: ControlDistribution): DistributionFacts => ({
    cfg: d.cfg,
    origins: d.cfg.origins.length ? d.cfg.origins : [{ id: 'default', url: d.defaultOriginUrl, responseTimeoutSeconds: 30, retries: 2 }],
    logging: { enabled: cfg.logs.enabled, includeCookies: cfg.logs.includeCookies, prefix: cfg.logs.prefix },
    lastModified: startedAt,
    inProgressInvalidations: books.get(d.id)!.inProgress(now()).length,
    keyGroups: cfg.keyGroups,
    policies: { cache: cfg.cachePolicies, originRequest: cfg.originRequestPolicies, responseHeaders: cfg.responseHeadersPolicies },
  });

  const distribution = (id: string): ControlDistribution => {
    const d = byId.get(id);
    if (!d) throw new HttpError(404, 'NoSuchDistribution', `the specified distribution does not exist: ${id}`);
    return d;
  };

  function createInvalidation(v: ApiVersion, d: ControlDistribution, body: Buffer, req: http.IncomingMessage): Answer {
    const batch = parseInvalidationBatch(body.toString('utf8'));
    for (const t of batch.targets) {
      const pathOnly = t.match.split('?')[0]!;
      if (!t.wildcard && deps.isSmoothStreamingPath(d.id, pathOnly)) {
        throw new HttpError(
          400,
          'InvalidArgument',
          `${t.given} is served by a Smooth Streaming behaviour and cannot be invalidated (SPEC INV-01)`,
        );
      }
    }
    const book = books.get(d.id)!;
    const t = now();
    const { record, created } = book.create(batch, t);
    if (created) {
      const matches = batchMatcher(batch.targets);
      // INV-01 also holds for wildcards: they pass over what Smooth behaviours serve.
      const removed = deps.removeFromCache(d.id, (p) => matches(p) && !deps.isSmoothStreamingPath(d.id, p.split('?')[0]!));
      deps.onInvalidated?.(d.id, record.paths.length);
      log.info(
        { distribution: d.id, invalidation: record.id, paths: record.paths.length, wildcards: record.wildcardPaths, removed },
        'invalidation',
      );
    }
    const scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    const location = `${scheme}://${hostOf(req.headers.host)}/${v}/distribution/${d.id}/invalidation/${record.id}`;
    return { status: 201, body: invalidationXml(v, record, book.status(record, t)), headers: { Location: location } };
  }

  function answer(v: ApiVersion, op: Operation, body: Buffer, req: http.IncomingMessage, rawQuery: string): Answer {
    const params = new URLSearchParams(rawQuery);
    switch (op.op) {
      case 'ListDistributions': {
        const maxItems = maxItemsOf(params);
        const marker = params.get('Marker') ?? '';
        const all = deps.distributions;
        const from = marker ? all.findIndex((d) => d.id === marker) + 1 : 0;
        if (marker && from === 0) throw new HttpError(400, 'InvalidArgument', `Marker ${marker} is not a distribution id`);
        const items = all.slice(from, from + maxItems);
        const nextMarker = from + maxItems < all.length ? items[items.length - 1]!.id : undefined;
        return { status: 200, body: distributionListXml(v, { items: items.map(facts), marker, maxItems, nextMarker }) };
      }
      case 'GetDistribution': {
        const f = facts(distribution(op.distributionId));
        return { status: 200, body: distributionXml(v, f), headers: { ETag: etagOf(f) } };
      }
      case 'GetDistributionConfig': {
        const f = facts(distribution(op.distributionId));
        return { status: 200, body: distributionConfigXml(v, f), headers: { ETag: etagOf(f) } };
      }
      case 'CreateInvalidation':
        return createInvalidation(v, distribution(op.distributionId), body, req);
      case 'GetInvalidation': {
        const d = distribution(op.distributionId);
        const book = books.get(d.id)!;
        const r = book.get(op.invalidationId);
        if (!r) throw new HttpError(404, 'NoSuchInvalidation', `the specified invalidation does not exist: ${op.invalidationId}`);
        return { status: 200, body: invalidationXml(v, r, book.status(r, now())) };
      }
      case 'ListInvalidations': {
        const d = distribution(op.distributionId);
        const book = books.get(d.id)!;
        const maxItems = maxItemsOf(params);
        const marker = params.get('Marker') ?? '';
        const t = now();
        const page = book.page(marker, maxItems);
        return {
          status: 200,
          body: invalidationListXml(v, {
            items: page.items.map((r) => ({ r, status: book.status(r, t) })),
            marker,
            maxItems,
            nextMarker: page.nextMarker,
          }),
        };
      }
    }
  }

  async function serve(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    const v = requestApiVersion(rawPath) ?? '2020-05-31';
    const send = (a: Answer) => {
      const b = Buffer.from(a.body);
      res.writeHead(a.status, {
        'Content-Type': 'text/xml',
        'Content-Length': String(b.length),
        'x-amz-request-id': requestId,
        'x-amzn-RequestId': requestId,
        ...a.headers,
      });
      res.end(req.method === 'HEAD' ? undefined : b);
    };
    const refuse = (status: number, code: string, message: string, closeConnection = false) =>
      send({
        status,
        body: errorXml(v, status, code, message, requestId),
        headers: closeConnection && !req.complete ? { Connection: 'close' } : undefined,
      });
    try {
      if (!apiEnabled(creds))
        return refuse(403, 'AccessDenied', 'the control API is off: set edge.accessKeys (SigV4) or edge.adminToken (Bearer)', true);
      const pre = preAuthenticate(req.headers.authorization, creds);
      if (!pre.ok) return refuse(AUTH_STATUS[pre.code ?? 'AccessDenied'] ?? 403, pre.code ?? 'AccessDenied', pre.reason, true);
      const body = await readBody(req, MAX_BODY_BYTES);
      const auth = authenticate(
        pre.value,
        { method: req.method ?? 'GET', rawPath, rawQuery, rawHeaders: req.rawHeaders, payloadHash: sha256Hex(body) },
        creds,
        now(),
      );
      if (!auth.ok) return refuse(AUTH_STATUS[auth.code ?? 'AccessDenied'] ?? 403, auth.code ?? 'AccessDenied', auth.reason);
      send(answer(v, routeOf(req.method ?? 'GET', rawPath), body, req, rawQuery));
    } catch (err) {
      if (err instanceof HttpError) return refuse(err.status, err.code, err.message, true);
      throw err;
    }
  }

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const requestId = newRequestId();
    serve(req, res, requestId).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'control API request failed');
      if (res.headersSent) return void res.destroy();
      const v = requestApiVersion((req.url ?? '/').split('?')[0]!) ?? '2020-05-31';
      const b = Buffer.from(errorXml(v, 500, 'InternalError', 'the edge could not complete the request', requestId));
      res.writeHead(500, {
        'Content-Type': 'text/xml',
        'Content-Length': String(b.length),
        'x-amz-request-id': requestId,
        Connection: 'close',
      });
      res.end(b);
    });
  };
  return Object.assign(handler, { books });
}
