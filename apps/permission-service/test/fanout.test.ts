import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { validateAuditEvent } from '@platform/audit-schema';
import { QUEUE_NAMES, sessionRevocationJobValidator, tokenRevocationJobValidator } from '@platform/queues';
import { waitFor } from '@platform/testing';
import { outboxRelayTask } from '../src/outbox/background.ts';
import { RedisLease } from '../src/outbox/lease.ts';
import { QueueInspector } from './support/queues.ts';
import { ALL_PERMISSIONS, createUser, startInfrastructure, startService, type TestInfrastructure, type TestService } from './support/service.ts';

let infrastructure: TestInfrastructure;
let first: TestService;
let second: TestService;
let inspector: QueueInspector;
let admin: string;

beforeAll(async () => {
  infrastructure = await startInfrastructure();
  // Two replicas, each running the relay: the lease and row locks must keep publication single.
  first = await startService(infrastructure);
  second = await startService(infrastructure);
  await first.startBackground([outboxRelayTask]);
  await second.startBackground([outboxRelayTask]);
  inspector = new QueueInspector(infrastructure.redis.url);
  admin = await infrastructure.clientToken('platform-admin-cli', ALL_PERMISSIONS);
});

afterAll(async () => {
  await inspector?.close();
  await first?.close();
  await second?.close();
  await infrastructure?.close();
});

async function outboxRow(topic: string, suspensionId: string) {
  const rows = await first.context.db.selectFrom('outbox').selectAll().where('topic', '=', topic).execute();
  return rows.find((row) => JSON.stringify(row.messages).includes(suspensionId));
}

async function jobsFor(subjectOrSuspension: string) {
  const [sessions, tokens, audit, expiry] = await Promise.all([
    inspector.jobs(QUEUE_NAMES.sessionRevocations),
    inspector.jobs(QUEUE_NAMES.tokenRevocations),
    inspector.jobs(QUEUE_NAMES.auditEvents),
    inspector.jobs(QUEUE_NAMES.suspensionExpiry),
  ]);
  const mentions = (job: { data: unknown }) => JSON.stringify(job.data).includes(subjectOrSuspension);
  return { sessions: sessions.filter(mentions), tokens: tokens.filter(mentions), audit: audit.filter(mentions), expiry: expiry.filter(mentions) };
}

describe('suspension fan-out', () => {
  it('publishes session revocation, token blacklist, audit event and expiry job', async () => {
    const id = await createUser(first, admin, 'auth0|fanout-user');
    const response = await first.call('POST', `/v1/users/${id}/suspension`, { token: admin, body: { reason: 'phishing', durationSeconds: 3600 } });
    const { suspension } = response.json();

    await waitFor(async () => (await outboxRow('user.suspended', suspension.id))?.published_at != null, 'the suspension to be relayed');
    const jobs = await jobsFor(suspension.id);
    const sessions = (await jobsFor('auth0|fanout-user')).sessions;
    expect(sessions).toHaveLength(1);
    expect(sessionRevocationJobValidator.Check(sessions[0]!.data)).toBe(true);
    expect(sessions[0]!.data).toMatchObject({ userId: 'auth0|fanout-user' });

    const tokens = (await jobsFor('auth0|fanout-user')).tokens;
    expect(tokens).toHaveLength(1);
    expect(tokenRevocationJobValidator.Check(tokens[0]!.data)).toBe(true);
    expect(tokens[0]!.data).toMatchObject({ action: 'revoke', type: 'user', id: 'auth0|fanout-user', until: Date.parse(suspension.expiresAt) });

    expect(jobs.audit).toHaveLength(1);
    const event = (jobs.audit[0]!.data as { events: unknown[] }).events[0];
    expect(validateAuditEvent(event).valid).toBe(true);
    expect(event).toMatchObject({ kind: 'user.suspended', principal: { type: 'user', id: 'auth0|fanout-user' }, actor: { type: 'm2m', id: 'platform-admin-cli' } });

    expect(jobs.expiry).toHaveLength(1);
    expect(await jobs.expiry[0]!.getState()).toBe('delayed');
    expect(jobs.expiry[0]!.timestamp + jobs.expiry[0]!.delay).toBeGreaterThanOrEqual(Date.parse(suspension.expiresAt) - 1_000);
  });

  it('publishes each outbox row once across two relaying replicas', async () => {
    const id = await createUser(first, admin, 'fanout-two-relays');
    const { suspension } = (await second.call('POST', `/v1/users/${id}/suspension`, { token: admin, body: { reason: 'two relays' } })).json();
    await waitFor(async () => (await outboxRow('user.suspended', suspension.id))?.published_at != null, 'the suspension to be relayed');
    const row = await outboxRow('user.suspended', suspension.id);
    expect(row!.attempts).toBe(1);
  });

  it('adds no second job when a row is published again', async () => {
    const id = await createUser(first, admin, 'fanout-republish');
    const { suspension } = (await first.call('POST', `/v1/users/${id}/suspension`, { token: admin, body: { reason: 'republish', durationSeconds: 600 } })).json();
    await waitFor(async () => (await outboxRow('user.suspended', suspension.id))?.published_at != null, 'the suspension to be relayed');
    const before = await jobsFor(suspension.id);

    await first.context.db.updateTable('outbox').set({ published_at: null }).where('topic', '=', 'user.suspended').where('id', '=', (await outboxRow('user.suspended', suspension.id))!.id).execute();
    await waitFor(async () => (await outboxRow('user.suspended', suspension.id))?.published_at != null, 'the row to be relayed again');

    const after = await jobsFor(suspension.id);
    expect(after.audit.map((job) => job.id)).toEqual(before.audit.map((job) => job.id));
    expect(after.expiry.map((job) => job.id)).toEqual(before.expiry.map((job) => job.id));
    expect((await jobsFor('fanout-republish')).sessions).toHaveLength(1);
    expect((await jobsFor('fanout-republish')).tokens).toHaveLength(1);
  });

  it('publishes the lift and its audit event', async () => {
    const id = await createUser(first, admin, 'fanout-lift');
    const { suspension } = (await first.call('POST', `/v1/users/${id}/suspension`, { token: admin, body: { reason: 'lift me', durationSeconds: 600 } })).json();
    await first.call('DELETE', `/v1/users/${id}/suspension`, { token: admin });
    await waitFor(async () => (await outboxRow('user.suspension_lifted', suspension.id))?.published_at != null, 'the lift to be relayed');

    const tokens = (await jobsFor('fanout-lift')).tokens.map((job) => job.data as { action: string });
    expect(tokens.map((data) => data.action).sort()).toEqual(['lift', 'revoke']);
    const kinds = (await jobsFor(suspension.id)).audit.map((job) => (job.data as { events: { kind: string }[] }).events[0]!.kind).sort();
    expect(kinds).toEqual(['user.suspended', 'user.suspension_lifted']);
  });

  it('completes the fan-out after Redis returns when it was down at suspension time', async () => {
    const id = await createUser(first, admin, 'fanout-redis-down');
    await infrastructure.redis.stop();
    let suspensionId: string;
    try {
      const response = await first.call('POST', `/v1/users/${id}/suspension`, { token: admin, body: { reason: 'redis down', durationSeconds: 600 } });
      expect(response.statusCode).toBe(201);
      suspensionId = response.json().suspension.id;
      expect((await first.call('GET', `/v1/users/${id}`, { token: admin })).json().status).toBe('suspended');
      // Give the relays a few passes while Redis is down: nothing can be published.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await outboxRow('user.suspended', suspensionId))!.published_at).toBeNull();
    } finally {
      await infrastructure.redis.start();
    }

    await waitFor(async () => (await outboxRow('user.suspended', suspensionId))?.published_at != null, 'the relay to catch up after Redis returned', 30_000);
    const jobs = await jobsFor(suspensionId);
    expect(jobs.audit).toHaveLength(1);
    expect(jobs.expiry).toHaveLength(1);
    expect((await jobsFor('fanout-redis-down')).sessions).toHaveLength(1);
    expect((await jobsFor('fanout-redis-down')).tokens).toHaveLength(1);
  });
});

describe('RedisLease', () => {
  it('has one holder at a time and frees after its lifetime', async () => {
    const redis = new Redis(infrastructure.redis.url);
    try {
      const a = new RedisLease(redis, 'test:lease', 300);
      const b = new RedisLease(redis, 'test:lease', 300);
      expect(await a.acquire()).toBe(true);
      expect(await b.acquire()).toBe(false);
      expect(await a.acquire()).toBe(true);
      await waitFor(async () => b.acquire(), 'the lease to expire');
      expect(await a.acquire()).toBe(false);
      await b.release();
      expect(await a.acquire()).toBe(true);
    } finally {
      redis.disconnect();
    }
  });
});
