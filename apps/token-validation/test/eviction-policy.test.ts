import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { waitFor, type RedisServer } from '@platform/testing';
import { checkEvictionPolicy } from '../src/blacklist/eviction-policy.ts';
import { startIssuers, startRedis, startService, userToken, validate, type Issuers, type RunningService } from './support/harness.ts';

let redis: RedisServer;
let client: Redis;
let issuers: Issuers;
let service: RunningService;

beforeAll(async () => {
  redis = await startRedis(['--maxmemory', '100mb', '--maxmemory-policy', 'allkeys-lru']);
  client = new Redis(redis.url);
  issuers = await startIssuers();
  service = await startService(redis.url, issuers, {}, { waitForFresh: false });
});

afterAll(async () => {
  await service?.close();
  client?.disconnect();
  await issuers?.close();
  await redis?.stop();
});

describe('Redis eviction policy', () => {
  it('refuses readiness and validation while keys may be evicted', async () => {
    const readiness = await fetch(`${service.url}/readyz`);
    expect(readiness.status).toBe(503);
    const body = (await readiness.json()) as { checks: Record<string, { status: string; detail?: string }> };
    expect(body.checks['blacklist']?.detail).toContain('maxmemory-policy allkeys-lru');

    const response = await validate(service.url, await userToken(issuers, 'alice'));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
  });

  it('becomes ready once the policy is noeviction', async () => {
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    await waitFor(async () => (await fetch(`${service.url}/readyz`)).status === 200, 'readiness with noeviction');
    expect((await validate(service.url, await userToken(issuers, 'alice'))).status).toBe(200);
  });

  it.each([
    ['0', 'allkeys-lru', true],
    ['100mb', 'noeviction', true],
    ['100mb', 'volatile-lru', false],
    ['100mb', 'allkeys-random', false],
  ])('with maxmemory %s and %s is safe: %s', async (maxMemory, policy, safe) => {
    await client.config('SET', 'maxmemory', maxMemory);
    await client.config('SET', 'maxmemory-policy', policy);
    try {
      expect((await checkEvictionPolicy(client)).safe).toBe(safe);
    } finally {
      await client.config('SET', 'maxmemory', '0');
      await client.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });
});
