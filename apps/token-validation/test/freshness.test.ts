import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { blacklistChangeStreamKey } from '@platform/redis-keys';
import { waitFor, type RedisServer } from '@platform/testing';
import { adminToken, startIssuers, startRedis, startService, userToken, validate, type Issuers, type RunningService } from './support/harness.ts';

const BOUND_MS = 100;

let redis: RedisServer;
let issuers: Issuers;
let first: RunningService;
let second: RunningService;

beforeAll(async () => {
  redis = await startRedis();
  issuers = await startIssuers();
  first = await startService(redis.url, issuers);
  second = await startService(redis.url, issuers);
});

afterAll(async () => {
  await first?.close();
  await second?.close();
  await issuers?.close();
  await redis?.stop();
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Polls one instance until it rejects the token; returns the delay in ms and any 200 seen after the bound. */
async function timeUntilRejected(service: RunningService, token: string, acceptedAt: number): Promise<{ delayMs: number; lateAccepts: number }> {
  let lateAccepts = 0;
  for (let attempt = 0; attempt < 2_000; attempt += 1) {
    const sentAt = performance.now();
    const status = (await validate(service.url, token)).status;
    if (status === 401) return { delayMs: Math.max(0, performance.now() - acceptedAt), lateAccepts };
    if (status === 200 && sentAt > acceptedAt + BOUND_MS) lateAccepts += 1;
  }
  throw new Error('the revoked token was never rejected');
}

describe('blacklist freshness with two instances', () => {
  it('enforces revocations on both instances within the bound', async () => {
    const admin = await adminToken(issuers);
    const delays: number[] = [];
    let lateAccepts = 0;

    for (let i = 0; i < 40; i += 1) {
      const jti = `fresh-${i}-${Date.now()}`;
      const token = await userToken(issuers, 'freshness-user', { jti });
      expect((await validate(first.url, token)).status).toBe(200);
      expect((await validate(second.url, token)).status).toBe(200);

      const writer = i % 2 === 0 ? first : second;
      // Measured from before the call is sent, so the delay includes the admin API itself.
      const sentAt = performance.now();
      const response = await fetch(`${writer.url}/api/revocations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'jti', id: jti, reason: 'freshness test' }),
      });
      expect(response.status).toBe(201);

      const results = await Promise.all([timeUntilRejected(first, token, sentAt), timeUntilRejected(second, token, sentAt)]);
      for (const result of results) {
        delays.push(result.delayMs);
        lateAccepts += result.lateAccepts;
      }
    }

    expect(lateAccepts).toBe(0);
    expect(percentile(delays, 99)).toBeLessThanOrEqual(BOUND_MS);
  });

  it('catches up on changes missed while the subscription was down', async () => {
    const control = new Redis(redis.url);
    try {
      const token = await userToken(issuers, 'missed-user', { jti: 'missed-change' });
      expect((await validate(second.url, token)).status).toBe(200);
      await control.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      // Written while no subscriber listens, so only the change stream can deliver it.
      await first.store.revoke({ type: 'jti', id: 'missed-change', revokedAt: Date.now() });
      await waitFor(async () => (await validate(second.url, token)).status === 401, 'the missed change to be applied');
    } finally {
      control.disconnect();
    }
  });

  it('reloads everything when the stream was trimmed past the last change seen', async () => {
    const control = new Redis(redis.url);
    try {
      const token = await userToken(issuers, 'trimmed-user', { jti: 'trimmed-change' });
      expect((await validate(second.url, token)).status).toBe(200);
      await control.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await first.store.revoke({ type: 'jti', id: 'trimmed-change', revokedAt: Date.now() });
      await control.xtrim(blacklistChangeStreamKey(), 'MAXLEN', 0);
      await waitFor(async () => (await validate(second.url, token)).status === 401, 'the trimmed change to be loaded');
    } finally {
      control.disconnect();
    }
  });
});

describe('failing closed', () => {
  it('answers 503 while Redis is down and recovers by itself', async () => {
    const token = await userToken(issuers, 'outage-user');
    expect((await validate(first.url, token)).status).toBe(200);

    await redis.stop();
    const stoppedAt = performance.now();
    await waitFor(async () => (await validate(first.url, token)).status === 503, 'validation to fail closed');
    const statuses: number[] = [];
    while (performance.now() < stoppedAt + BOUND_MS * 3) {
      const sentAt = performance.now();
      const response = await validate(first.url, token);
      if (sentAt > stoppedAt + BOUND_MS) statuses.push(response.status);
    }
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 503)).toBe(true);

    const refused = await validate(second.url, token);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const readiness = await fetch(`${first.url}/readyz`);
    expect(readiness.status).toBe(503);
    expect(JSON.stringify(await readiness.json())).toContain('blacklist');

    await redis.start();
    await waitFor(async () => (await validate(first.url, token)).status === 200, 'validation to recover on the first instance');
    await waitFor(async () => (await validate(second.url, token)).status === 200, 'validation to recover on the second instance');
    await waitFor(async () => (await fetch(`${first.url}/readyz`)).status === 200, 'readiness to recover');
  });
});
