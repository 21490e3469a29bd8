import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import { QUEUE_NAMES, createQueue, jobIdFor, type TokenRevocationJob } from '@platform/queues';
import { blacklistEntryKey } from '@platform/redis-keys';
import { waitFor, type RedisServer } from '@platform/testing';
import { queuedAuditEvents } from './support/audit-queue.ts';
import { startIssuers, startRedis, startService, userToken, validate, type Issuers, type RunningService } from './support/harness.ts';

let redis: RedisServer;
let client: Redis;
let issuers: Issuers;
let service: RunningService;
let queue: Queue<TokenRevocationJob>;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  issuers = await startIssuers();
  service = await startService(redis.url, issuers);
  queue = createQueue<TokenRevocationJob>(QUEUE_NAMES.tokenRevocations, { host: '127.0.0.1', port: redis.port });
});

afterAll(async () => {
  await queue?.close();
  await service?.close();
  client?.disconnect();
  await issuers?.close();
  await redis?.stop();
});

function job(fields: Omit<TokenRevocationJob, 'meta'>, createdAt = Date.now()): TokenRevocationJob {
  return { meta: { eventId: randomUUID(), producer: 'session-gateway', createdAt }, ...fields };
}

async function enqueue(data: TokenRevocationJob): Promise<string> {
  const added = await queue.add('revoke', data, { jobId: jobIdFor('token-revocation', data.meta.eventId) });
  return added.id!;
}

async function waitForCompletion(jobId: string): Promise<void> {
  await waitFor(async () => (await queue.getJobState(jobId)) === 'completed', `job ${jobId} to complete`);
}

describe('revocation queue worker', () => {
  it('applies a user revocation left by the session revocation API', async () => {
    const copied = await userToken(issuers, 'queued-user', { issuedAt: Math.floor(Date.now() / 1000) - 2 });
    expect((await validate(service.url, copied)).status).toBe(200);

    const id = await enqueue(job({ action: 'revoke', type: 'user', id: 'queued-user', notBefore: Date.now(), reason: 'sessions revoked' }));
    await waitForCompletion(id);
    expect((await validate(service.url, copied)).status).toBe(401);

    // A later login: its token is issued in a later second than the revocation.
    const later = await userToken(issuers, 'queued-user', { issuedAt: Math.floor(Date.now() / 1000) + 1 });
    expect((await validate(service.url, later)).status).toBe(200);

    const events = await queuedAuditEvents(redis.port);
    expect(events.find((event) => event['kind'] === 'tokens.revoked' && (event['context'] as { targetId: string }).targetId === 'queued-user'))
      .toMatchObject({ principal: { type: 'system', id: 'session-gateway' }, decision: 'success' });
  });

  it('applies a redelivered job to the same state', async () => {
    const data = job({ action: 'revoke', type: 'client', id: 'redelivered-client', notBefore: Date.now() - 5_000 });
    await waitForCompletion(await enqueue(data));
    const once = await client.get(blacklistEntryKey('client', 'redelivered-client'));
    await waitForCompletion(await enqueue({ ...data, meta: { ...data.meta, eventId: randomUUID() } }));
    expect(await client.get(blacklistEntryKey('client', 'redelivered-client'))).toBe(once);
  });

  it('keeps the later cut-off when jobs arrive out of order', async () => {
    const now = Date.now();
    await waitForCompletion(await enqueue(job({ action: 'revoke', type: 'user', id: 'late-job-user', notBefore: now })));
    await waitForCompletion(await enqueue(job({ action: 'revoke', type: 'user', id: 'late-job-user', notBefore: now - 10_000 }, now - 10_000)));
    const stored = JSON.parse((await client.get(blacklistEntryKey('user', 'late-job-user')))!) as { notBefore: number };
    expect(stored.notBefore).toBe(now);
  });

  it('applies an open-ended suspension and its lift', async () => {
    await waitForCompletion(await enqueue(job({ action: 'revoke', type: 'user', id: 'queue-suspended', until: null, reason: 'suspended' })));
    expect((await validate(service.url, await userToken(issuers, 'queue-suspended', { issuedAt: Math.floor(Date.now() / 1000) + 2 }))).status).toBe(401);

    await waitForCompletion(await enqueue(job({ action: 'lift', type: 'user', id: 'queue-suspended' }, Date.now() + 1)));
    expect((await validate(service.url, await userToken(issuers, 'queue-suspended', { issuedAt: Math.floor(Date.now() / 1000) + 2 }))).status).toBe(200);
  });

  it('parks an invalid job as failed without retrying it', async () => {
    const added = await queue.add('revoke', { meta: { eventId: 'bad', producer: 'x', createdAt: 1 }, action: 'revoke', type: 'group', id: 'x' } as unknown as TokenRevocationJob, { jobId: 'invalid-job' });
    await waitFor(async () => (await queue.getJobState(added.id!)) === 'failed', 'the invalid job to fail');
    const failed = await queue.getJob(added.id!);
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toContain('invalid token revocation job');
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
  });
});
