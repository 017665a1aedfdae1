// Errors as the viewer sees them, beside deliver: the edge's own errors (403, 413, 414, 502, 504 …)
// and origin errors, answered with the distribution's custom error page when one is configured
// (SPEC ERR-05) — the page fetched through the cache like any object — else with the edge's page.
import type { Logger } from '../log.js';
import { replaceHeader } from '../http/headers.js';
import type { RequestContext } from './context.js';
import { errorPage, type Deliver } from './deliver.js';
import type { RuntimeDistribution } from './distribution.js';
import type { Fetcher } from './fetch.js';
import type { Lookup } from './lookup.js';
import type { FetchHead, FetchSubscriber } from './shared-fetch.js';

export interface ErrorPageDeps {
  deliver: Deliver;
  fetcher: Fetcher;
  lookup: Lookup;
  log: Logger;
}

export class ErrorPages {
  constructor(private readonly deps: ErrorPageDeps) {}

  /** True when the viewer's distribution has a custom page for `status` (ERR-05). */
  has(v: RequestContext, status: number): boolean {
    return Boolean(v.rec?.dist.customErrors.get(status)?.pagePath);
  }

  /** Answers `status` with its custom page; `fallback` answers when the distribution has none. */
  send(v: RequestContext, status: number, fallback: () => void): void {
    this.guard(v, this.customErrorPage(v, status, fallback));
  }

  /** An error made by the edge itself (403, 413, 414, 502, 504 …), through custom error pages (ERR-05). */
  edgeError(v: RequestContext, status: number, message: string, closeConnection = false): void {
    v.result = 'Error';
    const send = () => {
      const headers: [string, string][] = [['Content-Type', 'text/html']];
      if (closeConnection) headers.push(['Connection', 'close']);
      this.deps.deliver.edgeMade(v, status, headers, errorPage(status, message));
    };
    if (this.has(v, status)) return this.send(v, status, send);
    send();
  }

  /** An async step of a request that failed unexpectedly: 502 if nothing was sent yet, else the connection is cut. */
  guard(v: RequestContext, work: Promise<void>): void {
    work.catch((err: unknown) => {
      this.deps.log.error({ err, url: v.req.url }, 'edge request failed');
      if (!v.res.headersSent) this.deps.deliver.edgeMade(v, 502, [['Content-Type', 'text/html']], errorPage(502, 'internal edge error'));
      else v.res.destroy();
    });
  }

  /**
   * ERR-05: the configured page, fetched through the first behaviour that matches its path and
   * cached like any object, sent with the configured status. If the page cannot be had, the
   * viewer gets the page fetch's status.
   */
  private async customErrorPage(v: RequestContext, status: number, fallback: () => void): Promise<void> {
    const d = v.rec!.dist;
    const page = d.customErrors.get(status);
    if (!page?.pagePath) return fallback();
    v.result = 'Error';
    const got = await this.internalGet(d, page.pagePath);
    if (v.res.destroyed) return;
    if (got.status !== 200) {
      return this.deps.deliver.page(v, got.status, got.headers, got.body);
    }
    const headers = replaceHeader(got.headers, 'Content-Length', String(got.body.length));
    this.deps.deliver.page(v, page.responseCode ?? status, headers, got.body);
  }

  /** GET of an edge-internal object (custom error pages) through the cache. */
  private internalGet(d: RuntimeDistribution, path: string): Promise<{ status: number; headers: string[]; body: Buffer }> {
    const { spec, fresh, stale } = this.deps.lookup.internal(d, path);
    if (fresh) return Promise.resolve({ status: fresh.status, headers: fresh.hitHeaders, body: fresh.body });
    return new Promise((resolve) => {
      let head: FetchHead | undefined;
      const sub: FetchSubscriber = {
        head: (h) => {
          head = h;
          if (h.kind === 'object') resolve({ status: h.obj.status, headers: h.obj.hitHeaders, body: h.obj.body });
        },
        data: () => {},
        end: (body) => {
          if (head?.kind === 'stream') resolve({ status: head.status, headers: head.headers, body: body ?? Buffer.alloc(0) });
        },
        fail: () => resolve({ status: 502, headers: [], body: Buffer.from(errorPage(502, 'custom error page unavailable')) }),
      };
      this.deps.fetcher.join(spec, stale, sub);
    });
  }
}
