import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '@platform/queues';
import { userStatusSql } from '../src/users/status.ts';
import { ALL_PERMISSIONS, createUser, startInfrastructure, startService, type TestInfrastructure, type TestService } from './support/service.ts';

let infrastructure: TestInfrastructure;
let service: TestService;
let admin: string;

beforeAll(async () => {
  infrastructure = await startInfrastructure();
  service = await startService(infrastructure);
  admin = await infrastructure.clientToken('platform-admin-cli', ALL_PERMISSIONS);
});

afterAll(async () => {
  await service?.close();
  await infrastructure?.close();
});

const suspend = (id: string, body: Record<string, unknown>) => service.call('POST', `/v1/users/${id}/suspension`, { token: admin, body });
const lift = (id: string) => service.call('DELETE', `/v1/users/${id}/suspension`, { token: admin });

async function outboxOf(suspensionId: string) {
  const rows = await service.context.db.selectFrom('outbox').select(['topic', 'messages']).orderBy('created_at').execute();
  return rows.filter((row) => JSON.stringify(row.messages).includes(suspensionId));
}

describe('POST /v1/users/:id/suspension', () => {
  it('suspends for a duration and writes the fan-out to the outbox', async () => {
    const id = await createUser(service, admin, 'auth0|suspend-duration');
    const response = await suspend(id, { reason: 'credential stuffing', durationSeconds: 120 });
    expect(response.statusCode).toBe(201);
    const { user, suspension } = response.json();
    expect(user).toMatchObject({ status: 'suspended', suspension: { id: suspension.id, reason: 'credential stuffing', suspendedBy: 'm2m:platform-admin-cli' } });
    expect(Date.parse(suspension.expiresAt) - Date.parse(suspension.suspendedAt)).toBe(120_000);
    expect(suspension.state).toBe('active');

    const [row] = await outboxOf(suspension.id);
    expect(row!.topic).toBe('user.suspended');
    const byQueue = Object.fromEntries(row!.messages.map((message) => [message.queue, message]));
    expect(byQueue[QUEUE_NAMES.sessionRevocations]!.data).toMatchObject({ userId: 'auth0|suspend-duration' });
    expect(byQueue[QUEUE_NAMES.tokenRevocations]!.data).toMatchObject({
      action: 'revoke', type: 'user', id: 'auth0|suspend-duration', until: Date.parse(suspension.expiresAt), notBefore: Date.parse(suspension.suspendedAt),
    });
    const audit = byQueue[QUEUE_NAMES.auditEvents]!.data as { events: { kind: string; context: { suspensionId: string } }[] };
    expect(audit.events[0]).toMatchObject({ kind: 'user.suspended', context: { suspensionId: suspension.id } });
    expect(byQueue[QUEUE_NAMES.suspensionExpiry]).toMatchObject({ runAt: Date.parse(suspension.expiresAt), data: { suspensionId: suspension.id } });
  });

  it('suspends open-ended when no end is given', async () => {
    const id = await createUser(service, admin, 'suspend-open-ended');
    const { suspension } = (await suspend(id, { reason: 'investigation' })).json();
    expect(suspension.expiresAt).toBeNull();
    const [row] = await outboxOf(suspension.id);
    const queues = row!.messages.map((message) => message.queue);
    expect(queues).not.toContain(QUEUE_NAMES.suspensionExpiry);
    const tokens = row!.messages.find((message) => message.queue === QUEUE_NAMES.tokenRevocations)!;
    expect(tokens.data).toMatchObject({ until: null });
  });

  it('stores an expiresAt with an offset as the same instant', async () => {
    const id = await createUser(service, admin, 'suspend-offset');
    const { suspension } = (await suspend(id, { reason: 'offset', expiresAt: '2099-01-01T12:00:00+05:30' })).json();
    expect(suspension.expiresAt).toBe('2099-01-01T06:30:00.000Z');
  });

  it('replaces a running suspension and closes the old one as superseded', async () => {
    const id = await createUser(service, admin, 'suspend-twice');
    const first = (await suspend(id, { reason: 'first', durationSeconds: 60 })).json().suspension;
    const second = (await suspend(id, { reason: 'second', durationSeconds: 7200 })).json().suspension;
    const history = (await service.call('GET', `/v1/users/${id}/suspensions`, { token: admin })).json().suspensions;
    expect(history.map((item: { id: string; state: string }) => [item.id, item.state])).toEqual([[second.id, 'active'], [first.id, 'superseded']]);
  });

  describe('bad input', () => {
    it('answers 404 for an unknown user', async () => {
      const response = await suspend('0b7c5d36-8b8f-4a43-9f53-3f2f4e0c0a11', { reason: 'x', durationSeconds: 10 });
      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('user_not_found');
    });

    it.each([["x'; update users set deleted_at = now(); --"], ['%'], ['1;2']])('answers 404 for the id %s', async (id) => {
      const response = await suspend(encodeURIComponent(id), { reason: 'x', durationSeconds: 10 });
      expect(response.statusCode).toBe(404);
      const deleted = await service.context.db.selectFrom('users').select('id').where('deleted_at', 'is not', null).where('subject', 'like', 'suspend-%').execute();
      expect(deleted).toEqual([]);
    });

    it('answers 400 for an expiry in the past', async () => {
      const id = await createUser(service, admin, 'suspend-past');
      const response = await suspend(id, { reason: 'x', expiresAt: new Date(Date.now() - 1_000).toISOString() });
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('expiry_in_past');
      expect((await service.call('GET', `/v1/users/${id}`, { token: admin })).json().status).toBe('active');
    });

    it.each([[-5], [0], [1.5]])('answers 400 for durationSeconds %s', async (durationSeconds) => {
      const id = await createUser(service, admin, `suspend-duration-${durationSeconds}`);
      const response = await suspend(id, { reason: 'x', durationSeconds });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    });

    it('answers 400 for both an expiry and a duration', async () => {
      const id = await createUser(service, admin, 'suspend-both');
      const response = await suspend(id, { reason: 'x', durationSeconds: 10, expiresAt: '2099-01-01T00:00:00Z' });
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('invalid_expiry');
    });

    it('answers 400 for an expiry without a time zone', async () => {
      const id = await createUser(service, admin, 'suspend-no-zone');
      const response = await suspend(id, { reason: 'x', expiresAt: '2099-01-01T00:00:00' });
      expect(response.statusCode).toBe(400);
    });

    it('answers 409 for a deleted user', async () => {
      const id = await createUser(service, admin, 'suspend-deleted');
      await service.call('DELETE', `/v1/users/${id}`, { token: admin });
      const response = await suspend(id, { reason: 'x', durationSeconds: 10 });
      expect(response.statusCode).toBe(409);
      expect(response.json().code).toBe('user_deleted');
    });
  });
});

describe('DELETE /v1/users/:id/suspension', () => {
  it('lifts the suspension, records who lifted it and writes the blacklist lift', async () => {
    const id = await createUser(service, admin, 'lift-me');
    const { suspension } = (await suspend(id, { reason: 'mistake', durationSeconds: 3600 })).json();
    const response = await lift(id);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ user: { status: 'active', suspension: null }, suspension: { id: suspension.id, state: 'lifted', liftedBy: 'm2m:platform-admin-cli' } });

    const rows = await outboxOf(suspension.id);
    const lifted = rows.find((row) => row.topic === 'user.suspension_lifted')!;
    expect(lifted.messages.map((message) => message.queue)).toEqual([QUEUE_NAMES.tokenRevocations, QUEUE_NAMES.auditEvents]);
    expect(lifted.messages[0]!.data).toMatchObject({ action: 'lift', type: 'user', id: 'lift-me' });
    expect((lifted.messages[1]!.data as { events: { kind: string }[] }).events[0]!.kind).toBe('user.suspension_lifted');
  });

  it('answers 409 when the user is not suspended', async () => {
    const id = await createUser(service, admin, 'lift-not-suspended');
    const response = await lift(id);
    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('not_suspended');
  });

  it('answers 404 for an unknown user', async () => {
    expect((await lift('0b7c5d36-8b8f-4a43-9f53-3f2f4e0c0a12')).statusCode).toBe(404);
  });
});

describe('derived status', () => {
  it('is active from the exact database instant a suspension ends', async () => {
    const id = await createUser(service, admin, 'status-boundary');
    // now() is fixed within a transaction, so the boundary can be checked to the microsecond.
    const statuses = await service.context.db.transaction().execute(async (trx) => {
      const statusWithExpiry = async (offset: string) => {
        await sql`update users set suspended_at = now() - interval '1 minute', suspended_by = 'test', suspension_reason = 'test',
                  suspension_expires_at = now() + ${offset}::interval where id = ${id}`.execute(trx);
        const row = await trx.selectFrom('users').select(userStatusSql().as('status')).where('id', '=', id).executeTakeFirstOrThrow();
        return row.status;
      };
      const result = [await statusWithExpiry('1 microsecond'), await statusWithExpiry('0 seconds'), await statusWithExpiry('-1 microsecond')];
      await sql`update users set suspended_at = null, suspended_by = null, suspension_reason = null, suspension_expires_at = null where id = ${id}`.execute(trx);
      return result;
    });
    expect(statuses).toEqual(['suspended', 'active', 'active']);
  });

  it('reads active after the end even when no expiry job ran', async () => {
    const id = await createUser(service, admin, 'status-no-worker');
    const { suspension } = (await suspend(id, { reason: 'short', durationSeconds: 1 })).json();
    const deadline = Date.parse(suspension.expiresAt);
    let status = 'suspended';
    while (status === 'suspended' && Date.now() < deadline + 10_000) {
      status = (await service.call('GET', `/v1/users/${id}`, { token: admin })).json().status;
      if (status === 'suspended') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe('active');
    const history = (await service.call('GET', `/v1/users/${id}/suspensions`, { token: admin })).json().suspensions;
    expect(history[0]).toMatchObject({ id: suspension.id, state: 'expired', endedAt: suspension.expiresAt });
    const row = await service.context.db.selectFrom('user_suspensions').select('ended_at').where('id', '=', suspension.id).executeTakeFirstOrThrow();
    expect(row.ended_at).toBeNull();
  });
});

describe('concurrent calls', () => {
  it('leaves one consistent state after concurrent suspends and lifts', async () => {
    const id = await createUser(service, admin, 'concurrent-target');
    const calls = Array.from({ length: 12 }, (_, index) => (index % 3 === 2 ? lift(id) : suspend(id, { reason: `wave ${index}`, durationSeconds: 600 })));
    const responses = await Promise.all(calls);
    for (const response of responses) expect([200, 201, 409]).toContain(response.statusCode);

    const open = await service.context.db.selectFrom('user_suspensions').select('id').where('user_id', '=', id).where('ended_at', 'is', null).execute();
    const user = (await service.call('GET', `/v1/users/${id}`, { token: admin })).json();
    expect(open.length).toBeLessThanOrEqual(1);
    if (open.length === 1) expect(user).toMatchObject({ status: 'suspended', suspension: { id: open[0]!.id } });
    else expect(user).toMatchObject({ status: 'active', suspension: null });

    // Every suspend call left exactly one history row, and only the last can still be open.
    const history = await service.context.db.selectFrom('user_suspensions').select(['end_reason']).where('user_id', '=', id).execute();
    expect(history.length).toBe(responses.filter((response) => response.statusCode === 201).length);
  });
});

describe('transactions', () => {
  it.each([
    ['the history insert', 'user_suspensions', 'insert'],
    ['the user update', 'users', 'update'],
    ['the outbox insert', 'outbox', 'insert'],
  ])('leaves nothing behind when %s fails', async (_step, table, operation) => {
    const id = await createUser(service, admin, `failing-${table}`);
    const outboxBefore = await service.context.db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    await sql.raw(`create function fail_for_test() returns trigger language plpgsql as $$ begin raise exception 'injected failure'; end $$;
      create trigger fail_for_test before ${operation} on ${table} for each row execute function fail_for_test();`).execute(service.context.db);
    try {
      const response = await suspend(id, { reason: 'will fail', durationSeconds: 60 });
      expect(response.statusCode).toBe(500);
      expect(response.json().code).toBe('internal_error');
    } finally {
      await sql.raw(`drop trigger fail_for_test on ${table}; drop function fail_for_test();`).execute(service.context.db);
    }
    const suspensions = await service.context.db.selectFrom('user_suspensions').select('id').where('user_id', '=', id).execute();
    const outboxAfter = await service.context.db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const user = (await service.call('GET', `/v1/users/${id}`, { token: admin })).json();
    expect(suspensions).toEqual([]);
    expect(outboxAfter.n).toBe(outboxBefore.n);
    expect(user.status).toBe('active');
  });

  it('never issues parallel queries on one connection', async () => {
    // Wraps each pooled client's query() to count statements in flight on that connection.
    let maxInFlight = 0;
    const wrapped = new WeakSet<object>();
    const onAcquire = (client: { query: (...args: unknown[]) => unknown }) => {
      if (wrapped.has(client)) return;
      wrapped.add(client);
      const original = client.query.bind(client);
      let inFlight = 0;
      client.query = (...args: unknown[]) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const result = original(...args) as Promise<unknown>;
        return result.finally(() => {
          inFlight -= 1;
        });
      };
    };
    const pool = service.context.database.pool;
    pool.on('acquire', onAcquire as never);
    try {
      const id = await createUser(service, admin, 'sequential-statements');
      await suspend(id, { reason: 'sequential', durationSeconds: 60 });
      await suspend(id, { reason: 'sequential again', durationSeconds: 60 });
      await lift(id);
      await service.call('DELETE', `/v1/users/${id}`, { token: admin });
      await service.call('POST', `/v1/users/${id}/restore`, { token: admin });
    } finally {
      pool.off('acquire', onAcquire as never);
    }
    expect(maxInFlight).toBe(1);
  });
});
