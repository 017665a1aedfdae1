// Seeded pseudo-random numbers for reproducible bad-input and load tests. The seed comes from
// STREAMFRONT_SEED (decimal or 0x-hex) or the clock; tests print it on failure so that a run can
// be replayed with `STREAMFRONT_SEED=<seed> npx vitest run …`.

/** mulberry32: tiny, fast, good enough for test-data generation (not for anything secret). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed for this run: STREAMFRONT_SEED when set and valid, otherwise derived from the clock. */
export function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.STREAMFRONT_SEED?.trim();
  if (raw) {
    const n = raw.startsWith('0x') ? Number.parseInt(raw.slice(2), 16) : Number.parseInt(raw, 10);
    if (Number.isFinite(n)) return n >>> 0;
  }
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

export interface Random {
  readonly seed: number;
  /** Float in [0, 1). */
  next(): number;
  /** Integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  bytes(n: number): Buffer;
  pick<T>(items: readonly T[]): T;
  /** A string of `n` characters drawn from `alphabet`. */
  string(n: number, alphabet?: string): string;
  /** Fisher–Yates copy. */
  shuffle<T>(items: readonly T[]): T[];
}

export function createRandom(seed: number = seedFromEnv()): Random {
  const next = mulberry32(seed);
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    seed,
    next,
    int,
    bytes(n) {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
      return b;
    },
    pick(items) {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    string(n, alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789') {
      let s = '';
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)];
      return s;
    },
    shuffle(items) {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
  };
}

/** The line a failing test prints so the run can be replayed. */
export function seedHint(seed: number): string {
  return `random seed ${seed} (replay with STREAMFRONT_SEED=${seed})`;
}
