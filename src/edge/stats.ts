// SPEC MET-01/02/03 and STAT-01 figures per distribution, as JSON and Prometheus text.
import type { ResultType } from './access-log.js';

export interface RequestFacts {
  method: string;
  status: number; // 0 = viewer closed first
  result: ResultType;
  scBytes: number;
  csBytes: number;
  url: string;
  /** Edge TTL of the object served, when known (MET-04 static ≥ 3600 s / dynamic). */
  ttl?: number;
}

interface ObjectCounters {
  requests: number;
  hits: number;
  misses: number;
  bytesFromMisses: number;
  totalBytes: number;
  incomplete: number;
  s2xx: number;
  s3xx: number;
  s4xx: number;
  s5xx: number;
}

const TOP_TRACKED = 150; // MET-03: a running top 150, top 50 reported
const TOP_REPORTED = 50;
const PROXY_METHODS = new Set(['DELETE', 'OPTIONS', 'PATCH', 'POST', 'PUT']);

export class DistributionStats {
  requests = 0;
  bytesDownloaded = 0;
  bytesUploaded = 0;
  results: Record<ResultType, number> = { Hit: 0, RefreshHit: 0, Miss: 0, LimitExceeded: 0, CapacityExceeded: 0, Error: 0, Redirect: 0 };
  status = { s2xx: 0, s3xx: 0, s4xx: 0, s5xx: 0, aborted: 0 };
  bytesFromMisses = 0;
  incompleteGets = 0;
  usage = { staticRequests: 0, dynamicRequests: 0, proxyRequests: 0, staticBytes: 0, dynamicBytes: 0, proxyBytes: 0 };
  originRequests = 0;
  invalidationPathsThisMonth = 0;
  private invalidationMonth = '';
  private readonly objects = new Map<string, ObjectCounters>();

  constructor(readonly distributionId: string) {}

  record(f: RequestFacts): void {
    this.requests++;
    this.results[f.result]++;
    const cls = Math.floor(f.status / 100);
    if (cls === 2) this.status.s2xx++;
    else if (cls === 3) this.status.s3xx++;
    else if (cls === 4) this.status.s4xx++;
    else if (cls === 5) this.status.s5xx++;
    else this.status.aborted++;
    if (f.method === 'GET' || f.method === 'HEAD' || f.method === 'OPTIONS') this.bytesDownloaded += f.scBytes;
    else this.bytesUploaded += f.csBytes;
    if (f.result === 'Miss') this.bytesFromMisses += f.scBytes;
    const incomplete = f.status >= 200 && f.status < 300 && f.result === 'Error';
    if (incomplete && f.method === 'GET') this.incompleteGets++;
    if (PROXY_METHODS.has(f.method)) {
      this.usage.proxyRequests++;
      this.usage.proxyBytes += f.scBytes;
    } else if ((f.ttl ?? 0) >= 3600) {
      this.usage.staticRequests++;
      this.usage.staticBytes += f.scBytes;
    } else {
      this.usage.dynamicRequests++;
      this.usage.dynamicBytes += f.scBytes;
    }
    let o = this.objects.get(f.url);
    if (!o) {
      if (this.objects.size >= TOP_TRACKED * 2) this.trimObjects();
      o = { requests: 0, hits: 0, misses: 0, bytesFromMisses: 0, totalBytes: 0, incomplete: 0, s2xx: 0, s3xx: 0, s4xx: 0, s5xx: 0 };
      this.objects.set(f.url, o);
    }
    o.requests++;
    o.totalBytes += f.scBytes;
    if (f.result === 'Hit' || f.result === 'RefreshHit') o.hits++;
    if (f.result === 'Miss') {
      o.misses++;
      o.bytesFromMisses += f.scBytes;
    }
    if (incomplete) o.incomplete++;
    if (cls === 2) o.s2xx++;
    else if (cls === 3) o.s3xx++;
    else if (cls === 4) o.s4xx++;
    else if (cls === 5) o.s5xx++;
  }

  /** Keeps the busiest TOP_TRACKED objects (a bounded running top list, MET-03). */
  private trimObjects(): void {
    const keep = [...this.objects.entries()].sort((a, b) => b[1].requests - a[1].requests).slice(0, TOP_TRACKED);
    this.objects.clear();
    for (const [k, v] of keep) this.objects.set(k, v);
  }

  countInvalidationPaths(n: number, now = new Date()): void {
    const month = now.toISOString().slice(0, 7);
    if (month !== this.invalidationMonth) {
      this.invalidationMonth = month;
      this.invalidationPathsThisMonth = 0;
    }
    this.invalidationPathsThisMonth += n;
  }

  snapshot() {
    const pct = (n: number) => (this.requests ? (100 * n) / this.requests : 0);
    const errors = this.results.Error + this.results.LimitExceeded + this.results.CapacityExceeded;
    return {
      distributionId: this.distributionId,
      // MET-01
      requests: this.requests,
      bytesDownloaded: this.bytesDownloaded,
      bytesUploaded: this.bytesUploaded,
      totalErrorRate: pct(this.status.s4xx + this.status.s5xx),
      '4xxErrorRate': pct(this.status.s4xx),
      '5xxErrorRate': pct(this.status.s5xx),
      // MET-02 (+ RefreshHit, STAT-01)
      hitRate: pct(this.results.Hit),
      refreshHitRate: pct(this.results.RefreshHit),
      missRate: pct(this.results.Miss),
      errorRate: pct(errors),
      results: { ...this.results },
      statusCounts: { ...this.status },
      totalBytes: this.bytesDownloaded + this.bytesUploaded,
      bytesFromMisses: this.bytesFromMisses,
      incompleteGetsPercent: pct(this.incompleteGets),
      usage: { ...this.usage },
      originRequests: this.originRequests,
      invalidationPathsThisMonth: this.invalidationPathsThisMonth,
      // MET-03
      topObjects: [...this.objects.entries()]
        .sort((a, b) => b[1].requests - a[1].requests)
        .slice(0, TOP_REPORTED)
        .map(([url, o]) => ({ url, ...o, hitRatio: o.requests ? o.hits / o.requests : 0 })),
    };
  }
}

export type DistributionSnapshot = ReturnType<DistributionStats['snapshot']>;

export interface CacheFigures {
  objects: number;
  bytes: number;
  maxBytes: number;
  evictions: number;
  inFlight: number;
}

/** Prometheus text exposition of the same figures. */
export function prometheusText(snaps: DistributionSnapshot[], cache: CacheFigures): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, rows: [string, number][]) => {
    lines.push(`# HELP streamfront_edge_${name} ${help}`, `# TYPE streamfront_edge_${name} ${type}`);
    for (const [labels, v] of rows) lines.push(`streamfront_edge_${name}${labels} ${v}`);
  };
  const d = (s: DistributionSnapshot, extra = '') => `{distribution="${s.distributionId}"${extra}}`;
  metric(
    'requests_total',
    'counter',
    'Viewer requests (MET-01 Requests).',
    snaps.map((s) => [d(s), s.requests]),
  );
  metric(
    'bytes_downloaded_total',
    'counter',
    'Bytes to viewers for GET/HEAD/OPTIONS (MET-01).',
    snaps.map((s) => [d(s), s.bytesDownloaded]),
  );
  metric(
    'bytes_uploaded_total',
    'counter',
    'Bytes from viewers for POST/PUT etc. (MET-01).',
    snaps.map((s) => [d(s), s.bytesUploaded]),
  );
  metric(
    'bytes_from_misses_total',
    'counter',
    'Bytes served on misses (MET-02).',
    snaps.map((s) => [d(s), s.bytesFromMisses]),
  );
  metric(
    'origin_requests_total',
    'counter',
    'Requests sent to origins, retries included.',
    snaps.map((s) => [d(s), s.originRequests]),
  );
  metric(
    'results_total',
    'counter',
    'Requests by x-edge-result-type (LOG-04).',
    snaps.flatMap((s) => Object.entries(s.results).map(([r, v]) => [d(s, `,result="${r}"`), v] as [string, number])),
  );
  metric(
    'responses_total',
    'counter',
    'Responses by status class (MET-02).',
    snaps.flatMap((s) => Object.entries(s.statusCounts).map(([c, v]) => [d(s, `,class="${c.replace(/^s/, '')}"`), v] as [string, number])),
  );
  metric(
    'error_rate_percent',
    'gauge',
    'TotalErrorRate (MET-01).',
    snaps.map((s) => [d(s), s.totalErrorRate]),
  );
  metric(
    'error_rate_4xx_percent',
    'gauge',
    '4xxErrorRate (MET-01).',
    snaps.map((s) => [d(s), s['4xxErrorRate']]),
  );
  metric(
    'error_rate_5xx_percent',
    'gauge',
    '5xxErrorRate (MET-01).',
    snaps.map((s) => [d(s), s['5xxErrorRate']]),
  );
  metric('cache_objects', 'gauge', 'Objects in the edge cache.', [['', cache.objects]]);
  metric('cache_bytes', 'gauge', 'Bytes charged to the edge cache.', [['', cache.bytes]]);
  metric('cache_max_bytes', 'gauge', 'Edge cache bound.', [['', cache.maxBytes]]);
  metric('cache_evictions_total', 'counter', 'Objects evicted (LRU).', [['', cache.evictions]]);
  metric('origin_fetches_in_flight', 'gauge', 'Collapsed origin fetches in flight.', [['', cache.inFlight]]);
  return lines.join('\n') + '\n';
}
