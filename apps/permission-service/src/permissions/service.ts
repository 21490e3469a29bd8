import type { Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { permissionCacheInvalidationChannel } from '@platform/redis-keys';
import type { Database } from '../database/database.ts';
import { PermissionCache } from './cache.ts';
import { effectivePermissions, type EffectivePermissions } from './effective.ts';

/** Message on the invalidation channel: the users whose permissions changed, or every user. */
export type PermissionInvalidation = { users: string[] } | { all: true };

/** Resolves users' role permissions through the cache and announces changes to the other replicas. */
export class PermissionService {
  readonly cache: PermissionCache;
  private readonly db: Kysely<Database>;
  private readonly redis: Redis;
  private readonly logger: Logger;

  constructor(options: { db: Kysely<Database>; redis: Redis; logger: Logger; cacheTtlMs: number }) {
    this.db = options.db;
    this.redis = options.redis;
    this.logger = options.logger;
    this.cache = new PermissionCache(options.cacheTtlMs);
  }

  /** Current permissions of a user, possibly from the cache. */
  forUser(userId: string): Promise<EffectivePermissions> {
    return this.cache.get(userId, () => effectivePermissions(this.db, userId));
  }

  /**
   * Drops cached permissions here and publishes the change so every replica does the same. Call after the change has
   * committed. The publish is not awaited and a failure is only logged: the change is already stored,
   * a caller must not wait on Redis for it, and other replicas refresh within the cache lifetime.
   */
  changed(scope: PermissionInvalidation): void {
    this.apply(scope);
    this.redis.publish(permissionCacheInvalidationChannel(), JSON.stringify(scope)).catch((error: unknown) => {
      this.logger.warn({ err: error, code: 'permission_invalidation_not_sent' }, 'permission cache invalidation could not be published; other replicas refresh within the cache lifetime');
    });
  }

  /** Applies an invalidation received from another replica (or this one). */
  apply(scope: PermissionInvalidation): void {
    this.cache.invalidate('all' in scope ? undefined : scope.users);
  }
}

export function parseInvalidation(message: string): PermissionInvalidation | undefined {
  try {
    const value: unknown = JSON.parse(message);
    if (typeof value !== 'object' || value === null) return undefined;
    if ((value as { all?: unknown }).all === true) return { all: true };
    const users = (value as { users?: unknown }).users;
    if (Array.isArray(users) && users.every((user) => typeof user === 'string')) return { users };
  } catch {
    // not JSON: ignored below
  }
  return undefined;
}
