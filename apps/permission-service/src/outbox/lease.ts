import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

// Acquire or renew in one step: take the key when free, extend it when this holder owns it.
const ACQUIRE_OR_RENEW = `
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * A leader lease in Redis: one holder at a time, lost when not renewed within `ttlMs`. A holder
 * that stalls past the lifetime loses it to another replica, so work under the lease must also be
 * safe to run twice (the relay locks its rows and publishes with idempotent job ids).
 */
export class RedisLease {
  readonly holder = randomUUID();
  private readonly redis: Redis;
  private readonly key: string;
  private readonly ttlMs: number;

  constructor(redis: Redis, key: string, ttlMs: number) {
    this.redis = redis;
    this.key = key;
    this.ttlMs = ttlMs;
  }

  /** Returns true when this holder owns the lease for the next `ttlMs`. */
  async acquire(): Promise<boolean> {
    const result = await this.redis.eval(ACQUIRE_OR_RENEW, 1, this.key, this.holder, String(this.ttlMs));
    return result === 1;
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.holder);
  }
}
