import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { maintainPartitions } from '../../src/audit/maintenance.ts';
import { createPartitions, createPartitionsAhead, dropExpiredPartitions, listPartitions, monthOf, partitionName } from '../../src/audit/partitions.ts';
import { AUDIT_WRITER_ROLE, insertAuditRows, toInsertRow } from '../../src/audit/store.ts';
import { accessEvent } from './fixtures.ts';
import { createMigratedDatabase, type MigratedDatabase } from './support.ts';

let database: MigratedDatabase;

beforeAll(async () => {
  database = await createMigratedDatabase();
  await createPartitionsAhead(database.db, new Date(), 1);
});

afterAll(async () => {
  await database.close();
});

async function countEvents(eventId: string): Promise<number> {
  const result = await sql<{ count: number }>`SELECT count(*)::int AS count FROM audit_events WHERE event_id = ${eventId}`.execute(database.db);
  return result.rows[0]!.count;
}

describe('audit insert', () => {
  it('stores every field of an event', async () => {
    const event = accessEvent({ principalType: 'm2m', principalId: 'm2m_1' });
    expect(await insertAuditRows(database.db, [toInsertRow(event)])).toBe(1);
    const stored = await sql<Record<string, unknown>>`SELECT * FROM audit_events WHERE event_id = ${event.eventId}`.execute(database.db);
    const row = stored.rows[0]!;
    expect(row['principal_type']).toBe('m2m');
    expect(row['principal_id']).toBe('m2m_1');
    expect(row['resource_id']).toBe('42');
    expect(row['http_status']).toBe(200);
    expect(row['scopes']).toEqual(['transactions:read']);
    expect(row['context']).toEqual({});
    expect((row['occurred_at'] as Date).toISOString()).toBe(event.occurredAt);
  });

  it('skips a re-delivered event', async () => {
    const event = accessEvent();
    expect(await insertAuditRows(database.db, [toInsertRow(event)])).toBe(1);
    expect(await insertAuditRows(database.db, [toInsertRow(event), toInsertRow(accessEvent())])).toBe(1);
    expect(await countEvents(event.eventId)).toBe(1);
  });

  it('keeps microseconds of the occurrence time', async () => {
    const event = { ...accessEvent(), occurredAt: new Date().toISOString().replace('Z', '123Z') } as ReturnType<typeof accessEvent>;
    expect(await insertAuditRows(database.db, [toInsertRow(event)])).toBe(1);
    expect(await insertAuditRows(database.db, [toInsertRow(event)])).toBe(0);
  });
});

describe('append-only guard', () => {
  it('rejects UPDATE as the writer role', async () => {
    const event = accessEvent();
    await insertAuditRows(database.db, [toInsertRow(event)]);
    const attempt = database.db.transaction().execute(async (transaction) => {
      await sql`SET LOCAL ROLE ${sql.id(AUDIT_WRITER_ROLE)}`.execute(transaction);
      await sql`UPDATE audit_events SET decision = 'deny' WHERE event_id = ${event.eventId}`.execute(transaction);
    });
    await expect(attempt).rejects.toThrow(/permission denied/);
  });

  it('rejects changes over a login of the writer role', async () => {
    const event = accessEvent();
    await insertAuditRows(database.db, [toInsertRow(event)]);
    const login = `audit_writer_login_${randomBytes(4).toString('hex')}`;
    await sql`CREATE ROLE ${sql.id(login)} LOGIN IN ROLE ${sql.id(AUDIT_WRITER_ROLE)}`.execute(database.db);
    const url = new URL(database.url);
    url.username = login;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      const current = await client.query<{ name: string }>('SELECT current_user AS name');
      expect(current.rows[0]!.name).toBe(login);
      const partition = partitionName(monthOf(new Date(event.occurredAt)));
      await expect(client.query('UPDATE audit_events SET reason = $1 WHERE event_id = $2', ['tampered', event.eventId])).rejects.toThrow(/permission denied/);
      await expect(client.query('DELETE FROM audit_events WHERE event_id = $1', [event.eventId])).rejects.toThrow(/permission denied/);
      await expect(client.query('TRUNCATE audit_events')).rejects.toThrow(/permission denied/);
      await expect(client.query(`DELETE FROM ${partition} WHERE event_id = $1`, [event.eventId])).rejects.toThrow(/permission denied/);
      await expect(client.query(`DROP TABLE ${partition}`)).rejects.toThrow(/must be owner/);
      const readable = await client.query('SELECT event_id FROM audit_events WHERE event_id = $1', [event.eventId]);
      expect(readable.rowCount).toBe(1);
    } finally {
      await client.end();
      await sql`DROP OWNED BY ${sql.id(login)}`.execute(database.db);
      await sql`DROP ROLE ${sql.id(login)}`.execute(database.db);
    }
    expect(await countEvents(event.eventId)).toBe(1);
  });

  it('rejects row changes by the table owner', async () => {
    const event = accessEvent();
    await insertAuditRows(database.db, [toInsertRow(event)]);
    const partition = partitionName(monthOf(new Date(event.occurredAt)));
    await expect(sql`UPDATE audit_events SET reason = 'x' WHERE event_id = ${event.eventId}`.execute(database.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_events WHERE event_id = ${event.eventId}`.execute(database.db)).rejects.toThrow(/append-only/);
    await expect(sql`TRUNCATE audit_events`.execute(database.db)).rejects.toThrow(/append-only/);
    await expect(sql`TRUNCATE ${sql.id(partition)}`.execute(database.db)).rejects.toThrow(/append-only/);
    expect(await countEvents(event.eventId)).toBe(1);
  });
});

describe('partitions', () => {
  it('creates the current month and the months ahead', async () => {
    await createPartitionsAhead(database.db, new Date(Date.UTC(2031, 10, 15)), 3);
    const names = (await listPartitions(database.db)).map(partitionName);
    expect(names).toContain('audit_events_y2031m11');
    expect(names).toContain('audit_events_y2031m12');
    expect(names).toContain('audit_events_y2032m01');
    expect(names).toContain('audit_events_y2032m02');
    expect(names).not.toContain('audit_events_y2032m03');
  });

  it('creates partitions idempotently', async () => {
    await createPartitionsAhead(database.db, new Date(Date.UTC(2031, 10, 15)), 3);
    await createPartitionsAhead(database.db, new Date(Date.UTC(2031, 10, 15)), 3);
    const names = (await listPartitions(database.db)).map(partitionName);
    expect(names.filter((name) => name === 'audit_events_y2031m11')).toHaveLength(1);
  });

  it('routes events by month', async () => {
    await createPartitions(database.db, [{ year: 2031, month: 12 }]);
    const event = accessEvent({ occurredAt: new Date(Date.UTC(2031, 11, 31, 23, 59, 59)) });
    await insertAuditRows(database.db, [toInsertRow(event)]);
    const result = await sql<{ count: number }>`SELECT count(*)::int AS count FROM audit_events_y2031m12 WHERE event_id = ${event.eventId}`.execute(database.db);
    expect(result.rows[0]!.count).toBe(1);
  });

  it('drops whole partitions past retention', async () => {
    await createPartitions(database.db, [{ year: 2030, month: 1 }, { year: 2030, month: 2 }, { year: 2030, month: 3 }]);
    const old = accessEvent({ occurredAt: new Date(Date.UTC(2030, 0, 20)) });
    const kept = accessEvent({ occurredAt: new Date(Date.UTC(2030, 1, 1)) });
    await insertAuditRows(database.db, [toInsertRow(old), toInsertRow(kept)]);

    // With three months kept on 2030-04-10, April, March and February stay.
    const dropped = await dropExpiredPartitions(database.db, new Date(Date.UTC(2030, 3, 10)), 3);

    // Partitions of the real current month are older still, so they go too.
    expect(dropped.map(partitionName)).toContain('audit_events_y2030m01');
    expect(dropped.every((month) => month.year * 12 + month.month < 2030 * 12 + 2)).toBe(true);
    const names = (await listPartitions(database.db)).map(partitionName);
    expect(names).not.toContain('audit_events_y2030m01');
    expect(names).toContain('audit_events_y2030m02');
    expect(await countEvents(old.eventId)).toBe(0);
    expect(await countEvents(kept.eventId)).toBe(1);
  });

  it('maintains ahead and behind in one run', async () => {
    await createPartitions(database.db, [{ year: 2035, month: 4 }, { year: 2035, month: 5 }]);
    await maintainPartitions({ db: database.db, logger: pino({ level: 'silent' }), retentionMonths: 2, monthsAhead: 1, intervalMs: 60_000, now: () => new Date(Date.UTC(2035, 5, 15)) });
    const names = (await listPartitions(database.db)).map(partitionName);
    expect(names).toEqual(['audit_events_y2035m05', 'audit_events_y2035m06', 'audit_events_y2035m07']);
  });
});
