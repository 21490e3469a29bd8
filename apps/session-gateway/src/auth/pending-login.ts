import { createHash, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { pendingLoginKey } from '@platform/redis-keys';

/** Pending login: the values the callback needs to finish a login started by the same browser. */
export interface PendingLogin {
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly returnTo: string;
  /** SHA-256 of the login-binding cookie of the browser that started the login. */
  readonly bindingHash: string;
  readonly createdAt: number;
}

/** Shape of `state` values created by openid-client's randomState(): 32 random bytes, base64url. */
export const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Pending logins in Redis, keyed by their `state`. `take` reads and deletes in one GETDEL, so each
 * state can finish at most one login, on any replica.
 */
export class PendingLoginStore {
  private readonly redis: Redis;
  private readonly lifetimeMs: number;

  constructor(redis: Redis, lifetimeMs: number) {
    this.redis = redis;
    this.lifetimeMs = lifetimeMs;
  }

  async save(state: string, login: PendingLogin): Promise<void> {
    await this.redis.set(pendingLoginKey(state), JSON.stringify(login), 'PX', this.lifetimeMs);
  }

  async take(state: string): Promise<PendingLogin | undefined> {
    if (!STATE_PATTERN.test(state)) return undefined;
    const stored = await this.redis.getdel(pendingLoginKey(state));
    return stored === null ? undefined : (JSON.parse(stored) as PendingLogin);
  }
}

export function bindingHashOf(binding: string): string {
  return createHash('sha256').update(binding, 'utf8').digest('base64url');
}

/** Checks a browser's login-binding cookie against the hash stored with a pending login. */
export function bindingMatches(binding: string | undefined, expectedHash: string): boolean {
  if (binding === undefined || binding === '') return false;
  const actual = Buffer.from(bindingHashOf(binding));
  const expected = Buffer.from(expectedHash);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
