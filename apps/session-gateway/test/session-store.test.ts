import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@platform/service-kit';
import { sessionKey, userSessionIndexKey, userSessionTag } from '@platform/redis-keys';
import { startRedisServer, type RedisServer } from '@platform/testing';
import { locateFromCookie } from '../src/sessions/session-id.ts';
import { SessionStore } from '../src/sessions/session-store.ts';
import { TokenCipher } from '../src/sessions/token-cipher.ts';

const IDLE_MS = 30 * 60_000;
const ABSOLUTE_MS = 8 * 3600_000;
const key = { id: 'k1', key: randomBytes(32) };

let server: RedisServer;
let redis: Redis;
let clock: number;
let store: SessionStore;

const tokens = (suffix = '') => ({ accessToken: `access${suffix}`, refreshToken: `refresh${suffix}`, idToken: `id${suffix}`, accessTokenExpiresAt: clock + 600_000 });
const create = (userId: string) => store.create({ userId, clientIp: '192.0.2.1', userAgent: 'agent/1', tokens: tokens() });

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
});

afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

beforeEach(async () => {
  await redis.flushall();
  clock = Date.now();
  store = new SessionStore(redis, new TokenCipher([key]), createLogger('test', 'silent'), { idleTimeoutMs: IDLE_MS, absoluteLifetimeMs: ABSOLUTE_MS, now: () => clock });
});

describe('session records', () => {
  it('store tokens encrypted', async () => {
    const { session } = await create('alice');
    const stored = await redis.hgetall(sessionKey(session.locator.userTag, session.locator.sessionId));
    expect(stored['accessToken']).not.toContain('access');
    expect(stored['refreshToken']).not.toContain('refresh');
    expect(stored['idToken']!.startsWith('k1.')).toBe(true);
    expect(store.openToken(session, 'refreshToken')).toBe('refresh');
  });

  it('hold timestamps and client details', async () => {
    const { session } = await create('alice');
    const stored = await redis.hgetall(sessionKey(session.locator.userTag, session.locator.sessionId));
    expect(Number(stored['createdAt'])).toBe(clock);
    expect(Number(stored['lastSeenAt'])).toBe(clock);
    expect(Number(stored['absoluteExpiresAt'])).toBe(clock + ABSOLUTE_MS);
    expect(stored['clientIp']).toBe('192.0.2.1');
    expect(stored['userAgent']).toBe('agent/1');
  });

  it('are keyed by a hash of the cookie secret, never the secret', async () => {
    const { session, cookieValue } = await create('alice');
    const secret = cookieValue.split('.')[1]!;
    expect(session.locator.sessionId).not.toBe(secret);
    const keys = await redis.keys('*');
    expect(keys.some((name) => name.includes(secret))).toBe(false);
    expect(locateFromCookie(cookieValue)).toEqual(session.locator);
  });

  it('get an idle expiry in Redis', async () => {
    const { session } = await create('alice');
    const ttl = await redis.pttl(sessionKey(session.locator.userTag, session.locator.sessionId));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(IDLE_MS);
  });
});

describe('touch', () => {
  it('slides the idle expiry', async () => {
    const { session } = await create('alice');
    clock += IDLE_MS - 1_000;
    const touched = await store.touch(session.locator);
    expect(touched?.lastSeenAt).toBe(clock);
    clock += IDLE_MS - 1_000;
    expect(await store.touch(session.locator)).toBeDefined();
  });

  it('ends an idle session', async () => {
    const { session } = await create('alice');
    clock += IDLE_MS;
    expect(await store.touch(session.locator)).toBeUndefined();
    expect(await redis.exists(sessionKey(session.locator.userTag, session.locator.sessionId))).toBe(0);
    expect(await redis.zcard(userSessionIndexKey(session.locator.userTag))).toBe(0);
  });

  it('ends a session at its absolute lifetime despite activity', async () => {
    const { session } = await create('alice');
    for (let elapsed = 0; elapsed + IDLE_MS / 2 < ABSOLUTE_MS; elapsed += IDLE_MS / 2) {
      clock += IDLE_MS / 2;
      expect(await store.touch(session.locator)).toBeDefined();
    }
    clock = session.absoluteExpiresAt;
    expect(await store.touch(session.locator)).toBeUndefined();
  });

  it('drops expired ids of the same user from the index', async () => {
    const first = await create('alice');
    clock += IDLE_MS / 2;
    const second = await create('alice');
    clock += IDLE_MS / 2 + 1;
    await store.touch(second.session.locator);
    const index = await redis.zrange(userSessionIndexKey(second.session.locator.userTag), 0, -1);
    expect(index).toEqual([second.session.locator.sessionId]);
    expect(index).not.toContain(first.session.locator.sessionId);
  });

  it('ends a session whose key was removed from the configuration', async () => {
    const { session } = await create('alice');
    const rotated = new SessionStore(redis, new TokenCipher([{ id: 'k2', key: randomBytes(32) }]), createLogger('test', 'silent'), { idleTimeoutMs: IDLE_MS, absoluteLifetimeMs: ABSOLUTE_MS, now: () => clock });
    expect(await rotated.touch(session.locator)).toBeUndefined();
    expect(await redis.exists(sessionKey(session.locator.userTag, session.locator.sessionId))).toBe(0);
  });
});

describe('updateTokens', () => {
  it('replaces tokens and bumps the version', async () => {
    const { session } = await create('alice');
    expect(await store.updateTokens(session.locator, tokens('-2'))).toBe(true);
    const updated = await store.read(session.locator);
    expect(store.openToken(updated!, 'accessToken')).toBe('access-2');
    expect(updated!.tokenVersion).toBe(session.tokenVersion + 1);
  });

  it('does not bring back a deleted session', async () => {
    const { session } = await create('alice');
    await store.delete(session.locator);
    expect(await store.updateTokens(session.locator, tokens('-2'))).toBe(false);
    expect(await redis.exists(sessionKey(session.locator.userTag, session.locator.sessionId))).toBe(0);
  });
});

describe('revokeUser', () => {
  it('ends every session of the user and nothing else', async () => {
    await create('alice');
    await create('alice');
    const bob = await create('bob');
    expect(await store.revokeUser('alice')).toBe(2);
    expect(await redis.exists(userSessionIndexKey(userSessionTag('alice')))).toBe(0);
    expect(await store.touch(bob.session.locator)).toBeDefined();
  });

  it('is idempotent', async () => {
    await create('alice');
    expect(await store.revokeUser('alice')).toBe(1);
    expect(await store.revokeUser('alice')).toBe(0);
  });

  it('does not count sessions that already expired', async () => {
    await create('alice');
    const { session } = await create('alice');
    await redis.del(sessionKey(session.locator.userTag, session.locator.sessionId));
    expect(await store.revokeUser('alice')).toBe(1);
  });

  it.each(['*', 'user-1*', '[a-z]*', 'user:1', 'user{1}', '?', 'u*:*'])('for %j touches only that exact id', async (pattern) => {
    const others = ['user-1', 'user-10', 'a', 'user:1:x', 'user{1}x'];
    for (const userId of others) await create(userId);
    expect(await store.revokeUser(pattern)).toBe(0);
    for (const userId of others) expect(await store.listUser(userId)).toHaveLength(1);
    await create(pattern);
    expect(await store.revokeUser(pattern)).toBe(1);
    for (const userId of others) expect(await store.listUser(userId)).toHaveLength(1);
  });
});

describe('listUser', () => {
  it('lists live sessions without tokens', async () => {
    const { session } = await create('alice');
    const listed = await store.listUser('alice');
    expect(listed).toEqual([{ sessionId: session.publicId, createdAt: clock, lastSeenAt: clock, expiresAt: clock + IDLE_MS, clientIp: '192.0.2.1', userAgent: 'agent/1' }]);
    expect(JSON.stringify(listed)).not.toMatch(/access|refresh|k1\./);
  });

  it('drops ids whose record is gone', async () => {
    const { session } = await create('alice');
    await redis.del(sessionKey(session.locator.userTag, session.locator.sessionId));
    expect(await store.listUser('alice')).toEqual([]);
    expect(await redis.zcard(userSessionIndexKey(session.locator.userTag))).toBe(0);
  });
});

describe('refresh lock', () => {
  it('admits one owner at a time', async () => {
    const { session } = await create('alice');
    const owner = await store.acquireRefreshLock(session.locator, 5_000);
    expect(owner).toBeDefined();
    expect(await store.acquireRefreshLock(session.locator, 5_000)).toBeUndefined();
    await store.releaseRefreshLock(session.locator, 'someone-else');
    expect(await store.isRefreshLocked(session.locator)).toBe(true);
    await store.releaseRefreshLock(session.locator, owner!);
    expect(await store.isRefreshLocked(session.locator)).toBe(false);
  });
});
