import type { EffectivePermissions } from './effective.ts';

/**
 * In-process cache of resolved role permissions per user. An entry lives for at most `ttlMs` and
 * never past the earliest expiry among the assignments it was computed from. Changes made by any
 * replica invalidate entries over Redis pub/sub; `ttlMs` bounds staleness when a message is lost.
 */
export class PermissionCache {
  private readonly ttlMs: number;
  private readonly entries = new Map<string, { value: EffectivePermissions; expiresAtMs: number }>();
  // Bumped by every invalidation, so a load that started before it does not store its stale result.
  private generation = 0;

  constructor(ttlMs: number) {
    this.ttlMs = ttlMs;
  }

  async get(userId: string, load: () => Promise<EffectivePermissions>): Promise<EffectivePermissions> {
    const cached = this.entries.get(userId);
    if (cached !== undefined && cached.expiresAtMs > Date.now()) return cached.value;
    this.entries.delete(userId);

    const generation = this.generation;
    const value = await load();
    if (this.ttlMs > 0 && generation === this.generation) {
      // validUntil is on the database clock; measure the remaining time there so clock skew between
      // this host and PostgreSQL cannot extend an expiring assignment.
      const untilChange = value.validUntil === null ? Infinity : value.validUntil.getTime() - value.evaluatedAt.getTime();
      const lifetime = Math.min(this.ttlMs, untilChange);
      if (lifetime > 0) this.entries.set(userId, { value, expiresAtMs: Date.now() + lifetime });
    }
    return value;
  }

  /** Drops the entries of the given users, or every entry when no user is given. */
  invalidate(userIds?: readonly string[]): void {
    this.generation += 1;
    if (userIds === undefined) this.entries.clear();
    else for (const userId of userIds) this.entries.delete(userId);
  }

  get size(): number {
    return this.entries.size;
  }
}
