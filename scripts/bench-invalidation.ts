// How long an invalidation batch takes to leave the cache: the batch matcher (one walk of the
// store for the whole batch, exact paths and `*` prefixes) against the baseline of one walk per
// exact path, on the same store contents in the same run.
//   node --expose-gc --import tsx scripts/bench-invalidation.ts [--objects N] [--paths N] [--wildcards N]
import { performance } from 'node:perf_hooks';
import CachePolicy from 'http-cache-semantics';
import { ObjectStore, type StoredObject } from '../src/edge/store.js';
import { batchMatcher, invalidationTarget } from '../src/edge/control/invalidations.js';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(
    'Usage: node --expose-gc --import tsx scripts/bench-invalidation.ts [--objects N (100000)] [--paths N (300)] [--wildcards N (10)]',
  );
  console.log('prints the time to apply one invalidation batch with the batch matcher and with one store walk per path');
  process.exit(0);
}
const num = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  const v = i < 0 ? dflt : Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`${name} needs a non-negative integer`);
    process.exit(2);
  }
  return v;
};
const OBJECTS = num('--objects', 100_000);
const PATHS = num('--paths', 300);
const WILDCARDS = num('--wildcards', 10);

const policy = new CachePolicy({ method: 'GET', url: '/', headers: {} }, { status: 200, headers: { 'cache-control': 'max-age=60' } });
const body = Buffer.alloc(16);
const objectPath = (i: number) => `/live/s${i % 500}/seg${i}.ts`;

function filledStore(): ObjectStore {
  const store = new ObjectStore(2 ** 40, 2 ** 30);
  for (let i = 0; i < OBJECTS; i++) {
    const p = objectPath(i);
    const o: StoredObject = {
      key: `EDFDVBD6EXAMPLE\u0001-1\u0001id\u0001${p}`,
      invalidationPath: p,
      status: 200,
      headers: [],
      body,
      policy,
      ttl: 60,
      receivedAt: 0,
      initialAge: 0,
      freshUntil: Number.MAX_SAFE_INTEGER,
      isError: false,
      hitHeaders: [],
      size: 64,
    };
    store.set(o);
  }
  return store;
}

const exact = Array.from({ length: PATHS }, (_, i) => objectPath(i * 7));
const wild = Array.from({ length: WILDCARDS }, (_, i) => `/live/s${400 + i}/*`);

const ROUNDS = 5;
/** Median of ROUNDS runs, each on a freshly filled store (the first runs also warm the JIT up). */
function timed(apply: (store: ObjectStore) => number, prepare?: (store: ObjectStore) => void): { ms: number; removed: number } {
  const runs: number[] = [];
  let removed = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const store = filledStore();
    prepare?.(store);
    (globalThis as { gc?: () => void }).gc?.(); // run with --expose-gc to keep the fill's garbage out of the timing
    const t = performance.now();
    removed = apply(store);
    runs.push(performance.now() - t);
  }
  runs.sort((x, y) => x - y);
  return { ms: runs[Math.floor(ROUNDS / 2)]!, removed };
}

const PREFIX = 'EDFDVBD6EXAMPLE\u0001';
// Baseline: one walk of the store per exact path (wildcards cannot be expressed this way).
const base = timed((store) => exact.reduce((n, p) => n + store.invalidate(PREFIX, p), 0));
const matcherExact = batchMatcher(exact.map(invalidationTarget));
const one = timed((store) => store.removeMatching(PREFIX, matcherExact));
const matcherAll = batchMatcher([...exact, ...wild].map(invalidationTarget));
const all = timed((store) => store.removeMatching(PREFIX, matcherAll));
// A store that has been walked before (its strings flattened and hashed), as on a running edge.
const warm = timed(
  (store) => store.removeMatching(PREFIX, matcherAll),
  (store) => void store.removeMatching(PREFIX, batchMatcher([invalidationTarget('/none')])),
);

console.log(`store: ${OBJECTS} objects; batch: ${PATHS} exact paths, ${WILDCARDS} wildcard paths`);
console.log(`median of ${ROUNDS} runs each`);
console.log(`baseline, one walk per exact path: ${base.ms.toFixed(1)} ms (${base.removed} removed)`);
console.log(
  `batch matcher, exact paths:        ${one.ms.toFixed(1)} ms (${one.removed} removed)  ${(base.ms / one.ms).toFixed(1)}x the baseline's speed`,
);
console.log(`batch matcher, exact + wildcards:  ${all.ms.toFixed(1)} ms (${all.removed} removed)`);
console.log(`  the same on a store walked before: ${warm.ms.toFixed(1)} ms (${warm.removed} removed)`);
