import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from 'bullmq';
import { QUEUE_NAMES, type SessionRevocationJob } from '@platform/queues';
import { waitFor } from '@platform/testing';
import { Browser } from './support/browser.ts';
import { startEnvironment, type RunningGateway, type TestEnvironment } from './support/environment.ts';
import { queuedAuditEvents, waitingTokenRevocations } from './support/queued.ts';

let env: TestEnvironment;
let gateway: RunningGateway;

beforeAll(async () => {
  env = await startEnvironment();
  gateway = await env.startGateway({ startWorker: true });
});

afterAll(async () => {
  await env?.close();
});

function job(userId: string, eventId = randomUUID()): SessionRevocationJob {
  return { meta: { eventId, producer: 'permission-service', createdAt: Date.now(), requestId: `suspend-${eventId}` }, userId, reason: 'user suspended' };
}

async function finished(queued: Job, state: 'completed' | 'failed'): Promise<Job> {
  const queue = env.queue(QUEUE_NAMES.sessionRevocations);
  await waitFor(async () => (await queue.getJobState(queued.id!)) === state, `job ${queued.id} to be ${state}`, 10_000);
  return (await queue.getJob(queued.id!))!;
}

async function seed(userId: string): Promise<void> {
  await gateway.gateway.context.sessions.create({ userId, clientIp: '192.0.2.3', userAgent: 'seed', tokens: { accessToken: 'a.b.c', accessTokenExpiresAt: Date.now() + 600_000 } });
}

describe('session revocation worker', () => {
  it('ends every session of the user named in the job', async () => {
    const browser = new Browser();
    await browser.login(gateway.url, 'alice', 'alice-password');
    await seed('alice');
    await seed('bob');
    const queue = env.queue(QUEUE_NAMES.sessionRevocations);
    const tokenJobsBefore = (await waitingTokenRevocations(env)).length;

    const done = await finished(await queue.add('revoke-user-sessions', job('alice')), 'completed');

    expect(done.returnvalue).toEqual({ revokedSessions: 2 });
    expect((await browser.request(`${gateway.url}/api/ping`)).status).toBe(401);
    expect(await gateway.gateway.context.sessions.listUser('bob')).toHaveLength(1);
    // The sender revokes the tokens through its own job; the worker must not add a weaker one.
    expect((await waitingTokenRevocations(env)).length).toBe(tokenJobsBefore);
  });

  it('records a sessions.revoked audit event from the sending service', async () => {
    await seed('carol');
    const eventId = randomUUID();
    await finished(await env.queue(QUEUE_NAMES.sessionRevocations).add('revoke-user-sessions', job('carol', eventId)), 'completed');
    const event = (await queuedAuditEvents(env)).find((candidate) => candidate.kind === 'sessions.revoked' && candidate.requestId === `suspend-${eventId}`);
    expect(event).toMatchObject({ actor: { type: 'system', id: 'permission-service' }, reason: 'user suspended', context: { targetUserId: 'carol', revokedSessions: 1 } });
  });

  it('is idempotent', async () => {
    await seed('dave');
    const eventId = randomUUID();
    const queue = env.queue(QUEUE_NAMES.sessionRevocations);
    const first = await finished(await queue.add('revoke-user-sessions', job('dave', eventId), { jobId: `first-${eventId}` }), 'completed');
    const again = await finished(await queue.add('revoke-user-sessions', job('dave', eventId), { jobId: `again-${eventId}` }), 'completed');
    expect(first.returnvalue).toEqual({ revokedSessions: 1 });
    expect(again.returnvalue).toEqual({ revokedSessions: 0 });
    const events = (await queuedAuditEvents(env)).filter((event) => event.kind === 'sessions.revoked' && event.requestId === `suspend-${eventId}`);
    expect(events).toHaveLength(2);
    // Both runs of one event record the same audit event id, so the audit store keeps one.
    expect(events[0]!.eventId).toBe(events[1]!.eventId);
  });

  it('fails a malformed job at once and keeps it for operators', async () => {
    const queue = env.queue(QUEUE_NAMES.sessionRevocations);
    const failed = await finished(await queue.add('revoke-user-sessions', { userId: '' } as unknown as SessionRevocationJob, { attempts: 5 }), 'failed');
    expect(failed.attemptsMade).toBe(1);
    expect(failed.failedReason).toContain('schema');
  });
});
