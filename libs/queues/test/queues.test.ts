import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from 'bullmq';
import { startRedisServer, type RedisServer } from '@platform/testing';
import { QUEUE_NAMES, createQueue, createWorker, jobIdFor, tokenRevocationJobValidator, type TokenRevocationJob } from '../src/index.ts';

describe('jobIdFor', () => {
  it('contains no colon for ids with colons', () => {
    expect(jobIdFor('revoke-user', 'urn:a:b', 'request-1')).not.toContain(':');
  });

  it('is stable and distinct', () => {
    expect(jobIdFor('a', 'b')).toBe(jobIdFor('a', 'b'));
    expect(jobIdFor('a', 'b')).not.toBe(jobIdFor('ab'));
  });
});

describe('token revocation payload', () => {
  it('rejects an unknown type', () => {
    const job = { meta: { eventId: 'e1', producer: 'test', createdAt: 1 }, action: 'revoke', type: 'group', id: 'x' };
    expect(tokenRevocationJobValidator.Check(job)).toBe(false);
  });
});

describe('queue round trip', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('delivers a job once for one job id', async () => {
    const connection = { host: '127.0.0.1', port: redis.port };
    const queue = createQueue<TokenRevocationJob>(QUEUE_NAMES.tokenRevocations, connection);
    const data: TokenRevocationJob = { meta: { eventId: 'e1', producer: 'test', createdAt: Date.now() }, action: 'revoke', type: 'user', id: 'auth0|1', notBefore: Date.now() };
    const jobId = jobIdFor(data.meta.eventId);
    await queue.add('revoke', data, { jobId });
    await queue.add('revoke', data, { jobId });
    const received: string[] = [];
    const worker = createWorker<TokenRevocationJob>(QUEUE_NAMES.tokenRevocations, async (job: Job<TokenRevocationJob>) => {
      received.push(job.data.id);
    }, { ...connection, maxRetriesPerRequest: null });
    await new Promise<void>((resolve) => worker.once('drained', () => resolve()));
    expect(received).toEqual(['auth0|1']);
    await worker.close();
    await queue.close();
  });
});
