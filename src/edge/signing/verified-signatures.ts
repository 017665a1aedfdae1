// A bounded memory of signatures the edge has already verified. A player presents the same signed
// cookies (or the same custom-policy URL query) on every playlist reload and segment; an RSA
// verification and a policy parse per request would cost more than serving the cached object.
// Only successes are kept, so a flood of forged signatures cannot evict them with its own entries.
import type { Statement } from './policy.js';

/** Entries whose key text is longer than this are not kept (bounds memory per entry). */
const MAX_KEY_CHARS = 4096;

export class VerifiedSignatures {
  /** Insertion-ordered: the first entry is the least recently used. */
  private readonly entries = new Map<string, readonly Statement[] | true>();

  /** At most `capacity` entries of at most 4096 characters each (about 8 MiB of keys at 1024). */
  constructor(readonly capacity = 1024) {}

  get size(): number {
    return this.entries.size;
  }

  /** The parsed statements of a verified custom policy, `true` for a verified canned one. */
  get(key: string): readonly Statement[] | true | undefined {
    const v = this.entries.get(key);
    if (v !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v;
  }

  set(key: string, value: readonly Statement[] | true): void {
    if (this.capacity === 0 || key.length > MAX_KEY_CHARS) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
