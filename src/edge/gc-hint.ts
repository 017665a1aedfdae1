// Keeps the cache's memory bound honest under churn. Evicted bodies are Buffers whose memory V8
// frees only at a full collection, and V8 starts one on its own only after ~64 MiB of external
// memory growth; with a bounded cache turning over hundreds of MiB a second, that slack shows up in
// RSS. The store calls this after each eighth of its bound has been evicted (at most every 100 ms).
import v8 from 'node:v8';
import vm from 'node:vm';

export function fullGcHint(minIntervalMs = 100): (() => void) | undefined {
  let gc: (() => void) | undefined;
  try {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
  let last = 0;
  return () => {
    const now = performance.now();
    if (now - last < minIntervalMs) return;
    last = now;
    // After the current request finishes, so the collection never delays a response being built.
    setImmediate(gc!);
  };
}
