import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { pino } from 'pino';
import type { Queue } from 'bullmq';
import { QUEUE_NAMES, createQueue, type AuditBatchJob } from '@platform/queues';
import { startRedisServer, waitFor, type RedisServer } from '@platform/testing';
import { AuditIngestionWorker } from '../../src/audit/ingestion-worker.ts';
import { listDeadLetters } from '../../src/audit/dead-letters.ts';
import { AUDIT_WRITER_ROLE } from '../../src/audit/store.ts';
import { accessEvent } from './fixtures.ts';
import { createMigratedDatabase, type MigratedDatabase } from './support.ts';

let redis: RedisServer;
let database: MigratedDatabase;
let queue: Queue<AuditBatchJob>;
let ingestion: AuditIngestionWorker;

const logger = pino({ level: 'silent' });

beforeAll(async () => {
  redis = await startRedisServer();
  database = await createMigratedDatabase();
  const connection = { host: '127.0.0.1', port: redis.port };
  queue = createQueue<AuditBatchJob>(QUEUE_NAMES.auditEvents, connection, { attempts: 12, backoff: { type: 'exponential', delay: 200 }, removeOnFail: false });
  ingestion = new AuditIngestionWorker({ db: database.db, connection, logger, retentionMonths: 13, concurrency: 2 });
  await ingestion.waitUntilReady();
});

afterAll(async () => {
  await ingestion.close();
  await queue.close();
  await database.close();
  await redis.stop();
});

afterEach(async () => {
  await ingestion.deadLetters.drain();
});

function batch(events: unknown[], producer = 'token-validation'): AuditBatchJob {
  return { meta: { eventId: randomUUID(), producer, createdAt: Date.now() }, events };
}

async function storedCount(eventIds: string[]): Promise<number> {
  const result = await sql<{ count: number }>`SELECT count(*)::int AS count FROM audit_events WHERE event_id = ANY(${eventIds}::uuid[])`.execute(database.db);
  return result.rows[0]!.count;
}

async function waitForCompletion(jobId: string): Promise<void> {
  await waitFor(async () => (await queue.getJob(jobId))?.finishedOn !== undefined, `job ${jobId} to finish`, 30_000);
}

describe('audit ingestion', () => {
  it('stores a batch of valid events', async () => {
    const events = Array.from({ length: 50 }, (_, index) => accessEvent({ principalId: `user-${index}` }));
    const job = await queue.add('audit-batch', batch(events));
    await waitForCompletion(job.id!);
    expect(await storedCount(events.map((event) => event.eventId))).toBe(50);
    expect((await queue.getJob(job.id!))!.returnvalue).toEqual({ stored: 50, duplicates: 0, deadLettered: 0 });
  });

  it('stores a re-delivered event once', async () => {
    const events = [accessEvent(), accessEvent()];
    const first = await queue.add('audit-batch', batch(events));
    await waitForCompletion(first.id!);
    // The same events again in a new job, with one repeat inside the batch, as after a producer retry.
    const second = await queue.add('audit-batch', batch([...events, events[0], accessEvent()]));
    await waitForCompletion(second.id!);
    expect(await storedCount(events.map((event) => event.eventId))).toBe(2);
    expect((await queue.getJob(second.id!))!.returnvalue).toEqual({ stored: 1, duplicates: 2, deadLettered: 0 });
  });

  it('parks invalid events and stores the valid ones', async () => {
    const valid = [accessEvent(), accessEvent()];
    const unknownKind = { ...accessEvent(), kind: 'access.unknown' };
    const badPrincipal = { ...accessEvent(), principal: { type: 'robot', id: 'r2' }, context: { token: 'eyJ-secret' } };
    const job = await queue.add('audit-batch', batch([valid[0], unknownKind, 'not an object', badPrincipal, valid[1]]));
    await waitForCompletion(job.id!);

    expect(await storedCount(valid.map((event) => event.eventId))).toBe(2);
    const finished = await queue.getJob(job.id!);
    expect(finished!.failedReason).toBeUndefined();
    expect(finished!.returnvalue).toEqual({ stored: 2, duplicates: 0, deadLettered: 3 });

    const page = await listDeadLetters(ingestion.deadLetters, 0, 10);
    expect(page.total).toBe(3);
    expect(page.items.map((item) => item.index)).toEqual([1, 2, 3]);
    expect(page.items[0]!.reason).toBe('unknown audit event kind "access.unknown"');
    expect(page.items[1]!.reason).toBe('event is not a JSON object');
    expect(page.items[2]!.reason).toContain('access.decision event is invalid');
    expect(page.items[2]!.producer).toBe('token-validation');
    expect(page.items[2]!.sourceJobId).toBe(job.id);
    expect(JSON.stringify(page.items[2]!.event)).not.toContain('eyJ-secret');
  });

  it('parks the same invalid event once on retry', async () => {
    const data = batch([{ kind: 'nonsense' }]);
    const jobId = randomUUID();
    const job = await queue.add('audit-batch', data, { jobId });
    await waitForCompletion(job.id!);
    // A second delivery of the same job id, as after a worker crash, parks nothing new.
    await queue.remove(jobId);
    const again = await queue.add('audit-batch', data, { jobId });
    await waitForCompletion(again.id!);
    expect((await listDeadLetters(ingestion.deadLetters, 0, 10)).total).toBe(1);
  });

  it('parks a job that is not an audit batch', async () => {
    const job = await queue.add('audit-batch', { hello: 'world' } as unknown as AuditBatchJob);
    await waitForCompletion(job.id!);
    const page = await listDeadLetters(ingestion.deadLetters, 0, 10);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.index).toBeNull();
    expect(page.items[0]!.reason).toContain('not an audit batch');
    expect(page.items[0]!.event).toEqual({ hello: 'world' });
  });

  it('parks an event the database rejects', async () => {
    const valid = accessEvent();
    // PostgreSQL text cannot hold a NUL character although JSON Schema accepts it.
    const withNul = accessEvent({ principalId: 'nul\u0000user' });
    const job = await queue.add('audit-batch', batch([valid, withNul]));
    await waitForCompletion(job.id!);
    expect(await storedCount([valid.eventId])).toBe(1);
    expect(await storedCount([withNul.eventId])).toBe(0);
    const page = await listDeadLetters(ingestion.deadLetters, 0, 10);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.reason).toMatch(/^database rejected the event/);
  });

  it('parks events outside the accepted time range', async () => {
    const tooOld = accessEvent({ occurredAt: new Date(Date.now() - 400 * 24 * 3600 * 1000) });
    const tooNew = accessEvent({ occurredAt: new Date(Date.now() + 2 * 24 * 3600 * 1000) });
    const job = await queue.add('audit-batch', batch([tooOld, tooNew]));
    await waitForCompletion(job.id!);
    const reasons = (await listDeadLetters(ingestion.deadLetters, 0, 10)).items.map((item) => item.reason);
    expect(reasons[0]).toContain('before the retention window');
    expect(reasons[1]).toContain('in the future');
  });

  it('retries with backoff while inserts fail', async () => {
    // Without INSERT for the writer role every insert fails, which also shows the worker writes as that role.
    await sql`REVOKE INSERT ON audit_events FROM ${sql.id(AUDIT_WRITER_ROLE)}`.execute(database.db);
    const event = accessEvent();
    const job = await queue.add('audit-batch', batch([event]));
    try {
      await waitFor(async () => ((await queue.getJob(job.id!))?.attemptsMade ?? 0) >= 2, 'two failed attempts', 30_000);
      expect(await storedCount([event.eventId])).toBe(0);
    } finally {
      await sql`GRANT INSERT ON audit_events TO ${sql.id(AUDIT_WRITER_ROLE)}`.execute(database.db);
    }
    await waitForCompletion(job.id!);
    const finished = await queue.getJob(job.id!);
    expect(finished!.failedReason).toContain('permission denied');
    expect(finished!.returnvalue).toEqual({ stored: 1, duplicates: 0, deadLettered: 0 });
    expect(await storedCount([event.eventId])).toBe(1);
  });
});
