import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '@platform/queues';
import { waitFor } from '@platform/testing';
import { outboxRelayTask } from '../src/outbox/background.ts';
import { suspensionExpiryJobId } from '../src/outbox/messages.ts';
import { suspensionExpiryTask, suspensionReconcileTask } from '../src/suspensions/background.ts';
import { reconcileSuspensionExpiryJobs } from '../src/suspensions/reconcile.ts';
import { expireSuspension } from '../src/suspensions/service.ts';
import { QueueInspector } from './support/queues.ts';
import { ALL_PERMISSIONS, createUser, startInfrastructure, startService, type TestInfrastructure, type TestService } from './support/service.ts';

let infrastructure: TestInfrastructure;
let service: TestService;
let inspector: QueueInspector;
let admin: string;

beforeAll(async () => {
  infrastructure = await startInfrastructure();
  service = await startService(infrastructure);
  await service.startBackground([outboxRelayTask, suspensionExpiryTask, suspensionReconcileTask]);
  inspector = new QueueInspector(infrastructure.redis.url);
  admin = await infrastructure.clientToken('platform-admin-cli', ALL_PERMISSIONS);
});

afterAll(async () => {
  await inspector?.close();
  await service?.close();
  await infrastructure?.close();
});

const db = () => service.context.db;

async function suspensionRow(id: string) {
  return db().selectFrom('user_suspensions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function outboxTopics(suspensionId: string): Promise<string[]> {
  const rows = await db().selectFrom('outbox').select(['topic', 'messages']).orderBy('created_at').execute();
  return rows.filter((row) => JSON.stringify(row.messages).includes(suspensionId)).map((row) => row.topic);
}

describe('automatic restore', () => {
  it('closes the history, clears the user, audits and lifts the blacklist at expiry', async () => {
    const id = await createUser(service, admin, 'auth0|expire-me');
    const { suspension } = (await service.call('POST', `/v1/users/${id}/suspension`, { token: admin, body: { reason: 'two seconds', durationSeconds: 2 } })).json();

    await waitFor(async () => (await suspensionRow(suspension.id)).end_reason === 'expired', 'the expiry job to close the suspension', 20_000);
    const row = await suspensionRow(suspension.id);
    expect(row.ended_at!.toISOString()).toBe(suspension.expiresAt);
    const user = await db().selectFrom('users').select(['suspended_at', 'suspension_id']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(user).toEqual({ suspended_at: null, suspension_id: null });

    await waitFor(async () => {
      const published = await db().selectFrom('outbox').select('published_at').where('topic', '=', 'user.suspension_expired').execute();
      return published.length > 0 && published.every((item) => item.published_at !== null);
    }, 'the expiry fan-out to be relayed');
    const tokens = (await inspector.jobs(QUEUE_NAMES.tokenRevocations)).filter((job) => (job.data as { id: string }).id === 'auth0|expire-me');
    expect(tokens.map((job) => (job.data as { action: string }).action).sort()).toEqual(['lift', 'revoke']);
    const audit = (await inspector.jobs(QUEUE_NAMES.auditEvents)).map((job) => (job.data as { events: { kind: string; context: { suspensionId?: string } }[] }).events[0]!);
    expect(audit.filter((event) => event.context.suspensionId === suspension.id).map((event) => event.kind).sort()).toEqual(['user.suspended', 'user.suspension_expired']);
  });

  it('is idempotent', async () => {
    const id = await createUser(service, admin, 'expire-twice');
    const { suspension } = (await service.call('POST', `/v1/users/${id}/suspension`, { token: admin, body: { reason: 'short', durationSeconds: 1 } })).json();
    await waitFor(async () => (await suspensionRow(suspension.id)).end_reason === 'expired', 'the expiry job', 20_000);
    expect(await expireSuspension(db(), suspension.id)).toEqual({ outcome: 'already_ended' });
    expect((await outboxTopics(suspension.id)).filter((topic) => topic === 'user.suspension_expired')).toHaveLength(1);
  });

  it('refuses to end a suspension before the database clock reaches its end', async () => {
    const id = await createUser(service, admin, 'expire-early');
    const { suspension } = (await service.call('POST', `/v1/users/${id}/suspension`, { token: admin, body: { reason: 'long', durationSeconds: 3600 } })).json();
    const outcome = await expireSuspension(db(), suspension.id);
    expect(outcome.outcome).toBe('not_due');
    expect((await suspensionRow(suspension.id)).ended_at).toBeNull();
  });

  it('does nothing when the suspension was lifted meanwhile', async () => {
    const id = await createUser(service, admin, 'expire-lifted');
    const { suspension } = (await service.call('POST', `/v1/users/${id}/suspension`, { token: admin, body: { reason: 'lifted soon', durationSeconds: 1 } })).json();
    await service.call('DELETE', `/v1/users/${id}/suspension`, { token: admin });
    const job = () => inspector.queue(QUEUE_NAMES.suspensionExpiry).getJob(suspensionExpiryJobId(suspension.id));
    await waitFor(async () => (await (await job())?.getState()) === 'completed', 'the expiry job to run', 20_000);
    expect((await job())!.returnvalue).toBe('already_ended');
    expect((await suspensionRow(suspension.id)).end_reason).toBe('lifted');
    expect(await outboxTopics(suspension.id)).toEqual(['user.suspended', 'user.suspension_lifted']);
  });

  it('does nothing to the newer suspension when one was extended meanwhile', async () => {
    const id = await createUser(service, admin, 'expire-extended');
    const first = (await service.call('POST', `/v1/users/${id}/suspension`, { token: admin, body: { reason: 'short', durationSeconds: 1 } })).json().suspension;
    const second = (await service.call('POST', `/v1/users/${id}/suspension`, { token: admin, body: { reason: 'extended', durationSeconds: 3600 } })).json().suspension;
    const job = () => inspector.queue(QUEUE_NAMES.suspensionExpiry).getJob(suspensionExpiryJobId(first.id));
    await waitFor(async () => (await (await job())?.getState()) === 'completed', 'the first expiry job to run', 20_000);
    expect((await job())!.returnvalue).toBe('already_ended');
    const user = (await service.call('GET', `/v1/users/${id}`, { token: admin })).json();
    expect(user).toMatchObject({ status: 'suspended', suspension: { id: second.id } });
    expect(await outboxTopics(first.id)).toEqual(['user.suspended']);
  });
});

describe('expiry job reconciliation', () => {
  it('rebuilds an expiry job that Redis lost', async () => {
    const id = await createUser(service, admin, 'expire-lost-job');
    const { suspension } = (await service.call('POST', `/v1/users/${id}/suspension`, { token: admin, body: { reason: 'lost job', durationSeconds: 3600 } })).json();
    const queue = inspector.queue(QUEUE_NAMES.suspensionExpiry);
    await waitFor(async () => (await queue.getJob(suspensionExpiryJobId(suspension.id))) !== undefined, 'the expiry job to be published');

    await (await queue.getJob(suspensionExpiryJobId(suspension.id)))!.remove();
    expect(await queue.getJob(suspensionExpiryJobId(suspension.id))).toBeUndefined();
    expect(await reconcileSuspensionExpiryJobs(service.context)).toBeGreaterThanOrEqual(1);

    const rebuilt = await queue.getJob(suspensionExpiryJobId(suspension.id));
    expect(await rebuilt!.getState()).toBe('delayed');
    expect(rebuilt!.timestamp + rebuilt!.delay).toBeGreaterThan(Date.parse(suspension.expiresAt) - 5_000);
  });

  it('ends an overdue suspension whose job was never published', async () => {
    const id = await createUser(service, admin, 'expire-overdue');
    // A suspension written as if the process had died before anything reached Redis.
    const suspension = await db().insertInto('user_suspensions').values({
      user_id: id, reason: 'overdue', suspended_by: 'test', suspended_at: sql<Date>`now() - interval '10 minutes'`, expires_at: sql<Date>`now() - interval '1 minute'`,
    }).returning('id').executeTakeFirstOrThrow();
    await db().updateTable('users').set({
      suspended_at: sql<Date>`now() - interval '10 minutes'`, suspension_expires_at: sql<Date>`now() - interval '1 minute'`, suspension_reason: 'overdue', suspended_by: 'test', suspension_id: suspension.id,
    }).where('id', '=', id).execute();

    await reconcileSuspensionExpiryJobs(service.context);
    await waitFor(async () => (await suspensionRow(suspension.id)).end_reason === 'expired', 'the overdue suspension to be closed', 20_000);
  });

  it('rebuilds expiry jobs after Redis restarted empty', async () => {
    const id = await createUser(service, admin, 'expire-redis-restart');
    const { suspension } = (await service.call('POST', `/v1/users/${id}/suspension`, { token: admin, body: { reason: 'redis restart', durationSeconds: 3600 } })).json();
    const queue = inspector.queue(QUEUE_NAMES.suspensionExpiry);
    await waitFor(async () => (await queue.getJob(suspensionExpiryJobId(suspension.id))) !== undefined, 'the expiry job to be published');

    await infrastructure.redis.stop();
    await infrastructure.redis.start();
    // The restarted server keeps nothing, so the job is gone until the reconciler runs on reconnect.
    await waitFor(async () => (await queue.getJob(suspensionExpiryJobId(suspension.id))) !== undefined, 'the reconciler to rebuild the job after the reconnect', 30_000);
  });
});
