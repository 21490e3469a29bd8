import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { blacklistEntryKey, blacklistIndexKey } from '@platform/redis-keys';
import { waitFor, type RedisServer } from '@platform/testing';
import { adminToken, m2mToken, startIssuers, startRedis, startService, userToken, validate, type Issuers, type RunningService } from './support/harness.ts';

const LIFETIME_SECONDS = 600;

let redis: RedisServer;
let client: Redis;
let issuers: Issuers;
let service: RunningService;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  issuers = await startIssuers();
  service = await startService(redis.url, issuers, { MAX_TOKEN_LIFETIME_SECONDS: String(LIFETIME_SECONDS), CLOCK_SKEW_SECONDS: '5' });
});

afterAll(async () => {
  await service?.close();
  client?.disconnect();
  await issuers?.close();
  await redis?.stop();
});

async function statusOf(token: string): Promise<number> {
  return (await validate(service.url, token)).status;
}

async function revokeViaApi(body: Record<string, unknown>): Promise<Response> {
  return fetch(`${service.url}/api/revocations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await adminToken(issuers)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'test', ...body }),
  });
}

/** Waits until the wall clock is early in a second, so a test can act within one second. */
async function startOfSecond(): Promise<void> {
  await waitFor(() => Date.now() % 1000 < 150, 'the start of a second', 5_000, 5);
}

describe('blacklist by jti', () => {
  it('rejects only the revoked token', async () => {
    const revoked = await userToken(issuers, 'jti-user', { jti: 'jti-revoked-1' });
    const other = await userToken(issuers, 'jti-user', { jti: 'jti-other-1' });
    expect(await statusOf(revoked)).toBe(200);

    const response = await revokeViaApi({ type: 'jti', id: 'jti-revoked-1' });
    expect(response.status).toBe(201);
    expect(await statusOf(revoked)).toBe(401);
    expect(await statusOf(other)).toBe(200);
  });
});

describe('blacklist by user', () => {
  it('handles a same-second revocation', async () => {
    // The case needs the first token and the revocation in one second; a busy machine can push the
    // call into the next second, so the scenario is repeated with a fresh user until that holds.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const userId = `same-second-user-${attempt}`;
      await startOfSecond();
      const before = await userToken(issuers, userId);
      const beforeIat = Math.floor(Date.now() / 1000);
      expect(await statusOf(before)).toBe(200);

      const response = await revokeViaApi({ type: 'user', id: userId });
      expect(response.status).toBe(201);
      const body = (await response.json()) as { notBefore: string };
      if (Math.floor(Date.parse(body.notBefore) / 1000) !== beforeIat) continue;

      const after = await userToken(issuers, userId);
      expect(await statusOf(before)).toBe(401);
      expect(await statusOf(after)).toBe(200);
      return;
    }
    throw new Error('no attempt revoked within the second the first token was issued');
  });

  it('keeps the later cut-off when revocations arrive out of order', async () => {
    const now = Date.now();
    await service.store.revoke({ type: 'user', id: 'ordered-user', revokedAt: now, notBefore: now });
    await service.store.revoke({ type: 'user', id: 'ordered-user', revokedAt: now - 60_000, notBefore: now - 60_000 });
    const stored = JSON.parse((await client.get(blacklistEntryKey('user', 'ordered-user')))!) as { notBefore: number };
    expect(stored.notBefore).toBe(now);

    const issuedBetween = await userToken(issuers, 'ordered-user', { issuedAt: Math.floor((now - 30_000) / 1000) });
    await waitFor(async () => (await statusOf(issuedBetween)) === 401, 'the cut-off to reach the replica');
  });

  it('rejects every token during a suspension and new ones pass after it', async () => {
    const until = new Date(Date.now() + 2_000).toISOString();
    const response = await revokeViaApi({ type: 'user', id: 'suspended-user', until });
    expect(response.status).toBe(201);
    const during = await userToken(issuers, 'suspended-user');
    expect(await statusOf(during)).toBe(401);

    await waitFor(() => Date.now() > Date.parse(until) + 1_000, 'the suspension to end', 10_000);
    expect(await statusOf(during)).toBe(401);
    expect(await statusOf(await userToken(issuers, 'suspended-user'))).toBe(200);
  });

  it('rejects every token of an indefinite suspension until it is lifted', async () => {
    expect((await revokeViaApi({ type: 'user', id: 'indefinite-user', until: null })).status).toBe(201);
    expect(await statusOf(await userToken(issuers, 'indefinite-user'))).toBe(401);
    expect(await client.pttl(blacklistEntryKey('user', 'indefinite-user'))).toBe(-1);

    const lift = await fetch(`${service.url}/api/revocations/user/indefinite-user`, { method: 'DELETE', headers: { authorization: `Bearer ${await adminToken(issuers)}` } });
    expect(lift.status).toBe(200);
    expect(await statusOf(await userToken(issuers, 'indefinite-user'))).toBe(200);
  });

  it('ignores a lift older than the revocation', async () => {
    const now = Date.now();
    await service.store.revoke({ type: 'user', id: 'lift-order-user', revokedAt: now, notBefore: now });
    expect((await service.store.lift('user', 'lift-order-user', now - 1_000)).outcome).toBe('newer_revocation');
    expect((await service.store.lift('user', 'lift-order-user', now + 1_000)).outcome).toBe('lifted');
    const late = await service.store.revoke({ type: 'user', id: 'lift-order-user', revokedAt: now + 500, notBefore: now + 500 });
    expect(late.outcome).toBe('older_than_lift');
  });
});

describe('suspension lifts', () => {
  it('keep earlier revocation cut-offs', async () => {
    const base = Date.now();
    const revoked = await userToken(issuers, 'returning-user', { issuedAt: Math.floor(base / 1000) - 20 });
    await service.store.revoke({ type: 'user', id: 'returning-user', revokedAt: base - 10_000, notBefore: base - 10_000 });
    await service.store.revoke({ type: 'user', id: 'returning-user', revokedAt: base - 5_000, notBefore: base - 5_000, until: null });
    await waitFor(async () => (await statusOf(await userToken(issuers, 'returning-user'))) === 401, 'the suspension to apply');

    expect((await service.store.lift('user', 'returning-user', base, Date.now(), 'suspension')).outcome).toBe('lifted');
    await waitFor(async () => (await statusOf(await userToken(issuers, 'returning-user'))) === 200, 'the suspension to end');
    expect(await statusOf(revoked)).toBe(401);
    expect((await service.store.lift('user', 'returning-user', base + 1, Date.now(), 'suspension')).outcome).toBe('absent');
  });

  it('leave nothing after a full lift', async () => {
    const base = Date.now();
    const revoked = await userToken(issuers, 'forgiven-user', { issuedAt: Math.floor(base / 1000) - 20 });
    await service.store.revoke({ type: 'user', id: 'forgiven-user', revokedAt: base - 10_000, notBefore: base - 10_000 });
    await service.store.revoke({ type: 'user', id: 'forgiven-user', revokedAt: base - 5_000, notBefore: base - 5_000, until: null });
    expect((await service.store.lift('user', 'forgiven-user', base, Date.now(), 'suspension')).outcome).toBe('lifted');
    expect((await service.store.lift('user', 'forgiven-user', base + 1, Date.now(), 'all')).outcome).toBe('lifted');
    await waitFor(async () => (await statusOf(revoked)) === 200, 'the full lift to apply');
  });
});

describe('blacklist by client', () => {
  it('rejects the client tokens issued before the revocation', async () => {
    const before = await m2mToken(issuers, 'partner-client');
    expect(await statusOf(before)).toBe(200);
    expect((await revokeViaApi({ type: 'client', id: 'partner-client' })).status).toBe(201);
    expect(await statusOf(before)).toBe(401);
    expect(await statusOf(await m2mToken(issuers, 'partner-client'))).toBe(200);
  });

  it('rejects user tokens issued to a revoked client', async () => {
    const token = await userToken(issuers, 'erin', { claims: { client_id: 'legacy-app' } });
    expect((await revokeViaApi({ type: 'client', id: 'legacy-app' })).status).toBe(201);
    expect(await statusOf(token)).toBe(401);
  });
});

describe('blacklist entry expiry', () => {
  it('expires a cut-off when no token it matches can be valid', async () => {
    const now = Date.now();
    await service.store.revoke({ type: 'user', id: 'expiring-user', revokedAt: now, notBefore: now });
    const key = blacklistEntryKey('user', 'expiring-user');
    // The last token the cut-off matches was issued in its second and lives at most the maximum
    // lifetime plus the clock skew; one more second covers the rounding of iat.
    const expected = Math.floor(now / 1000) * 1000 + (LIFETIME_SECONDS + 5 + 1) * 1000;
    const stored = JSON.parse((await client.get(key))!) as { expiresAt: number };
    expect(stored.expiresAt).toBe(expected);
    expect(Number(await client.zscore(blacklistIndexKey(), key))).toBe(expected);
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    // Redis rounds a relative expiry to its own millisecond clock, so allow a few milliseconds.
    expect(ttl).toBeLessThanOrEqual(expected - now + 10);
  });

  it('uses the token expiry of a jti entry when known', async () => {
    const expiresAt = Date.now() + 30_000;
    await service.store.revoke({ type: 'jti', id: 'jti-with-expiry', revokedAt: Date.now(), expiresAt });
    expect(Number(await client.zscore(blacklistIndexKey(), blacklistEntryKey('jti', 'jti-with-expiry')))).toBe(expiresAt);
  });

  it('drops expired entries from the index on the next write', async () => {
    await client.zadd(blacklistIndexKey(), Date.now() - 1_000, 'jwt:blacklist:{jwt-blacklist}:jti:long-gone');
    await service.store.revoke({ type: 'jti', id: 'trigger-cleanup', revokedAt: Date.now() });
    expect(await client.zscore(blacklistIndexKey(), 'jwt:blacklist:{jwt-blacklist}:jti:long-gone')).toBeNull();
  });
});

describe('blacklist writes', () => {
  it('fails the revocation call when Redis refuses the write', async () => {
    await client.config('SET', 'maxmemory', '1');
    try {
      const response = await revokeViaApi({ type: 'user', id: 'oom-user' });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { code: string }).code).toBe('blacklist_write_failed');
    } finally {
      await client.config('SET', 'maxmemory', '0');
    }
    expect(await client.exists(blacklistEntryKey('user', 'oom-user'))).toBe(0);
    expect(await statusOf(await userToken(issuers, 'oom-user', { issuedAt: Math.floor(Date.now() / 1000) - 5 }))).toBe(200);
  });
});
