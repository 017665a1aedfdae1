// Container health check (Dockerfile HEALTHCHECK): exit 0 when the service answers 2xx, else 1.
// Default target: the origin's /healthz on STREAMFRONT_ORIGIN_PORT; STREAMFRONT_HEALTH_URL overrides it.
const port = process.env.STREAMFRONT_ORIGIN_PORT || '8080';
const url = process.env.STREAMFRONT_HEALTH_URL || `http://127.0.0.1:${port}/healthz`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  await res.arrayBuffer();
  if (!res.ok) {
    process.stderr.write(`unhealthy: ${url} answered ${res.status}\n`);
    process.exit(1);
  }
} catch (err) {
  process.stderr.write(`unhealthy: ${url}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
