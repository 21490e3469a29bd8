import type { BlacklistEntryType } from '@platform/redis-keys';

export type { BlacklistEntryType };
export const BLACKLIST_ENTRY_TYPES: readonly BlacklistEntryType[] = ['jti', 'user', 'client'];

/**
 * A blacklist entry as stored in Redis (JSON) and carried by the change stream. Times are epoch ms.
 *
 * - `jti`: the one token with that `jti` is rejected until `expiresAt`.
 * - `user` / `client`: tokens of the principal issued at or before `notBefore` are rejected. With
 *   `until`, every token is rejected while the time is before `until`, and so is every token issued
 *   at or before it. With `indefinite`, every token is rejected until the entry is lifted.
 *
 * `revokedAt` is the time of the latest revocation merged into the entry and `liftedAt` that of the
 * latest lift. A full lift turns the entry into a tombstone (no `notBefore`, `until` or
 * `indefinite`) and a suspension lift removes only `until` and `indefinite`. Either way a revocation
 * older than the lift that arrives late is ignored.
 */
export interface StoredBlacklistEntry {
  type: BlacklistEntryType;
  id: string;
  revokedAt: number;
  liftedAt: number;
  notBefore?: number;
  until?: number;
  indefinite?: boolean;
  reason?: string;
  /** Epoch ms after which no token the entry could match is valid; -1 for never. */
  expiresAt: number;
}

// NOTE: `iat` comes from the issuer's clock and a cut-off from this service's clock. A token issued just
// before a revocation by an issuer whose clock runs ahead can pass, so clocks must be kept in sync.

/** Entry prepared for the per-request check. */
export interface ReplicaEntry {
  readonly stored: StoredBlacklistEntry;
  /** Tokens with `iat` (whole seconds) at or below this are rejected; -Infinity when none. */
  readonly cutoffSeconds: number;
  readonly untilMs: number;
  readonly indefinite: boolean;
  readonly expiresAtMs: number;
}

export function toReplicaEntry(stored: StoredBlacklistEntry): ReplicaEntry {
  const cutoffMs = Math.max(stored.notBefore ?? Number.NEGATIVE_INFINITY, stored.until ?? Number.NEGATIVE_INFINITY);
  return {
    stored,
    cutoffSeconds: Number.isFinite(cutoffMs) ? Math.floor(cutoffMs / 1000) : Number.NEGATIVE_INFINITY,
    untilMs: stored.until ?? Number.NEGATIVE_INFINITY,
    indefinite: stored.indefinite === true,
    expiresAtMs: stored.expiresAt === -1 ? Number.POSITIVE_INFINITY : stored.expiresAt,
  };
}

/** True when the entry still rejects something: it is not a tombstone and has not expired. */
export function isActive(entry: ReplicaEntry, nowMs: number): boolean {
  if (nowMs >= entry.expiresAtMs) return false;
  if (entry.stored.type === 'jti') return entry.stored.revokedAt > entry.stored.liftedAt;
  return entry.indefinite || Number.isFinite(entry.cutoffSeconds);
}

/** True when a principal entry rejects a token issued at `iatSeconds`. */
export function rejectsPrincipalToken(entry: ReplicaEntry, iatSeconds: number, nowMs: number): boolean {
  if (nowMs >= entry.expiresAtMs) return false;
  return entry.indefinite || nowMs < entry.untilMs || iatSeconds <= entry.cutoffSeconds;
}

/** Parses an entry read from Redis or the change stream; undefined when it is not a valid entry. */
export function parseStoredEntry(json: string): StoredBlacklistEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const entry = value as Partial<StoredBlacklistEntry>;
  if (!BLACKLIST_ENTRY_TYPES.includes(entry.type as BlacklistEntryType) || typeof entry.id !== 'string') return undefined;
  if (typeof entry.revokedAt !== 'number' || typeof entry.liftedAt !== 'number' || typeof entry.expiresAt !== 'number') return undefined;
  return entry as StoredBlacklistEntry;
}
