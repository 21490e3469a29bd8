import type { Redis } from 'ioredis';
import { blacklistChangeStreamKey, blacklistChannel, blacklistEntryKey, blacklistIndexKey } from '@platform/redis-keys';
import { parseStoredEntry, type BlacklistEntryType, type StoredBlacklistEntry } from './entry.ts';
import { LIFT_SCRIPT, REVOKE_SCRIPT } from './scripts.ts';

export interface RevocationInput {
  type: BlacklistEntryType;
  id: string;
  /** Time of the revocation, epoch ms; orders it against lifts. */
  revokedAt: number;
  /** user/client: reject tokens issued at or before this time, epoch ms. */
  notBefore?: number;
  /** user/client: reject every token until this time, epoch ms; null rejects them until lifted. */
  until?: number | null;
  /** jti: the token's own expiry, epoch ms, when known; otherwise the maximum token lifetime is assumed. */
  expiresAt?: number;
  reason?: string;
}

export type RevocationOutcome = 'applied' | 'older_than_lift' | 'expired';
export type LiftOutcome = 'lifted' | 'absent' | 'newer_revocation';
/** `all` removes the whole entry; `suspension` ends only a suspension and keeps revocation cut-offs. */
export type LiftScope = 'all' | 'suspension';

export interface BlacklistStoreOptions {
  /** Longest token lifetime the verifier accepts, in seconds. */
  maxTokenLifetimeSeconds: number;
  clockSkewSeconds: number;
  /** Approximate number of changes kept in the change stream for catch-up (default 100000). */
  streamMaxLength?: number;
}

type ScriptRedis = Redis & {
  blacklistRevoke(...args: string[]): Promise<[string, string, string]>;
  blacklistLift(...args: string[]): Promise<[string, string]>;
};

/**
 * Writes to the blacklist in Redis. Every write is one Lua script, so the entry, its index score,
 * the change stream and the pub/sub notice change together or not at all; an error from Redis (for
 * example OOM under `maxmemory`) rejects the returned promise and nothing is changed.
 */
export class BlacklistStore {
  private readonly redis: ScriptRedis;
  /** How long after its cut-off an entry is kept: the longest token lifetime plus skew and one second of iat rounding. */
  private readonly retentionMs: number;
  private readonly streamMaxLength: number;

  constructor(redis: Redis, options: BlacklistStoreOptions) {
    this.redis = redis as ScriptRedis;
    this.retentionMs = (options.maxTokenLifetimeSeconds + options.clockSkewSeconds + 1) * 1000;
    this.streamMaxLength = options.streamMaxLength ?? 100_000;
    if (typeof this.redis.blacklistRevoke !== 'function') {
      redis.defineCommand('blacklistRevoke', { numberOfKeys: 3, lua: REVOKE_SCRIPT });
      redis.defineCommand('blacklistLift', { numberOfKeys: 3, lua: LIFT_SCRIPT });
    }
  }

  async revoke(input: RevocationInput, nowMs: number = Date.now()): Promise<{ streamId: string | undefined; outcome: RevocationOutcome; entry: StoredBlacklistEntry | undefined }> {
    const [streamId, outcome, json] = await this.redis.blacklistRevoke(
      ...this.keys(input.type, input.id),
      String(this.streamMaxLength),
      blacklistChannel(),
      input.type,
      input.id,
      String(input.revokedAt),
      input.type !== 'jti' && input.notBefore !== undefined ? String(input.notBefore) : '',
      input.type !== 'jti' && typeof input.until === 'number' ? String(input.until) : '',
      input.type !== 'jti' && input.until === null ? '1' : '0',
      input.type === 'jti' && input.expiresAt !== undefined ? String(input.expiresAt) : '',
      input.reason ?? '',
      String(this.retentionMs),
      String(nowMs),
    );
    return { streamId: streamId === '' ? undefined : streamId, outcome: outcome as RevocationOutcome, entry: json === '' ? undefined : parseStoredEntry(json) };
  }

  async lift(type: BlacklistEntryType, id: string, liftedAt: number, nowMs: number = Date.now(), scope: LiftScope = 'all'): Promise<{ streamId: string | undefined; outcome: LiftOutcome }> {
    const [streamId, outcome] = await this.redis.blacklistLift(
      ...this.keys(type, id),
      String(this.streamMaxLength),
      blacklistChannel(),
      String(liftedAt),
      String(this.retentionMs),
      String(nowMs),
      scope,
    );
    return { streamId: streamId === '' ? undefined : streamId, outcome: outcome as LiftOutcome };
  }

  private keys(type: BlacklistEntryType, id: string): [string, string, string] {
    return [blacklistEntryKey(type, id), blacklistIndexKey(), blacklistChangeStreamKey()];
  }
}
