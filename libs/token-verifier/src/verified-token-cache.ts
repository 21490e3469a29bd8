import { hash } from 'node:crypto';

/**
 * Results of successful verifications, keyed by the SHA-256 of the token so the cache never holds
 * a usable token. An entry is dropped at the token's `exp`; when the cache is full the oldest entry
 * goes first. Only successes are cached: a refused token is checked again on every request.
 */
export class VerifiedTokenCache<Value> {
  private readonly maxEntries: number;
  private readonly entries = new Map<string, { value: Value; expiresAtMs: number }>();

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  /** Cache key of a token. */
  static keyOf(token: string): string {
    return hash('sha256', token, 'base64url');
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string, nowMs: number = Date.now()): Value | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= nowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Stores a result until `expiresAtMs` (the token's `exp` in ms). */
  set(key: string, value: Value, expiresAtMs: number): void {
    if (this.maxEntries <= 0) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAtMs });
  }

  clear(): void {
    this.entries.clear();
  }
}
