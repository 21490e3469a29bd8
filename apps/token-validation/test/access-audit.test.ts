import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { QUEUE_NAMES, QUEUE_PREFIX } from '@platform/queues';
import { waitFor, type RedisServer } from '@platform/testing';
import { queuedAuditEvents } from './support/audit-queue.ts';
import { m2mToken, startIssuers, startRedis, startService, userToken, validate, type Issuers, type RunningService } from './support/harness.ts';

let redis: RedisServer;
let issuers: Issuers;
let service: RunningService;

beforeAll(async () => {
  redis = await startRedis();
  issuers = await startIssuers();
  service = await startService(redis.url, issuers);
});

afterAll(async () => {
  await service?.close();
  await issuers?.close();
  await redis?.stop();
});

async function auditedDecision(requestId: string): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  await waitFor(async () => {
    found = (await queuedAuditEvents(redis.port)).find((event) => event['kind'] === 'access.decision' && event['requestId'] === requestId);
    return found !== undefined;
  }, `the access decision of ${requestId}`);
  return found!;
}

describe('access decision audit events', () => {
  it('records an allowed request with its principal, resource and client', async () => {
    const token = await userToken(issuers, 'audited-user');
    await validate(service.url, token, { uri: '/api/transactions/42?page=2', headers: { 'x-request-id': 'audit-allow-1', 'x-real-ip': '203.0.113.7', 'user-agent': 'audit-test/1.0' } });
    const event = await auditedDecision('audit-allow-1');
    expect(event).toMatchObject({
      producer: 'token-validation',
      principal: { type: 'user', id: 'audited-user' },
      decision: 'allow',
      reason: 'allowed',
      resource: { type: 'transactions', id: '42' },
      http: { method: 'GET', path: '/api/transactions/42', status: 200 },
      clientIp: '203.0.113.7',
      userAgent: 'audit-test/1.0',
      scopes: ['openid', 'transactions:read'],
      context: { issuer: expect.any(String), rateTier: 'default', requiredScopes: ['transactions:read'] },
    });
  });

  it('records an M2M principal', async () => {
    await validate(service.url, await m2mToken(issuers, 'demo-m2m-client'), { uri: '/api/transactions/42', headers: { 'x-request-id': 'audit-m2m-1' } });
    expect(await auditedDecision('audit-m2m-1')).toMatchObject({ principal: { type: 'm2m', id: 'demo-m2m-client' }, decision: 'allow' });
  });

  it('records a refused token and why', async () => {
    await validate(service.url, 'not.a.token', { headers: { 'x-request-id': 'audit-deny-1' } });
    expect(await auditedDecision('audit-deny-1')).toMatchObject({ principal: { type: 'user', id: 'anonymous' }, decision: 'deny', reason: 'malformed', http: { status: 401 } });
  });

  it('records a scope violation with the required scopes', async () => {
    const token = await userToken(issuers, 'scope-user', { claims: { scope: 'openid' } });
    await validate(service.url, token, { headers: { 'x-request-id': 'audit-scope-1' } });
    expect(await auditedDecision('audit-scope-1')).toMatchObject({
      principal: { id: 'scope-user' },
      decision: 'deny',
      reason: 'insufficient_scope',
      http: { status: 403 },
      context: { requiredScopes: ['transactions:read'] },
    });
  });

  it('sends decisions in batches', async () => {
    const token = await userToken(issuers, 'batched-user');
    await Promise.all(Array.from({ length: 20 }, (_, i) => validate(service.url, token, { headers: { 'x-request-id': `audit-batch-${i}` } })));
    await auditedDecision('audit-batch-19');
    await waitFor(async () => (await queuedAuditEvents(redis.port)).filter((event) => String(event['requestId']).startsWith('audit-batch-')).length === 20, 'every batched decision');
    const queue = new Queue(QUEUE_NAMES.auditEvents, { connection: { host: '127.0.0.1', port: redis.port }, prefix: QUEUE_PREFIX });
    try {
      const jobs = await queue.getJobs(['waiting']);
      const batchJobs = jobs.filter((job) => (job.data.events as Array<{ requestId?: string }>).some((event) => String(event.requestId).startsWith('audit-batch-')));
      expect(batchJobs.length).toBeLessThan(20);
    } finally {
      await queue.close();
    }
  });
});
