import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { pino } from 'pino';
import type { AuditEvent } from '@platform/audit-schema';
import { AuditPublisher, QUEUE_NAMES, createQueue } from '@platform/queues';
import { startJwksServer, startPostgresServer, startRedisServer, waitFor, type JwksServer, type PostgresServer, type RedisServer } from '@platform/testing';
import { accessEvent } from './fixtures.ts';
import { serviceProcess, type ServiceProcess } from './service-process.ts';
import { createMigratedDatabase, type MigratedDatabase } from './support.ts';

// Sends a known set of audit events while the ingesting service is killed twice and while its
// PostgreSQL is stopped for 30 seconds, then checks that every event is stored exactly once.

const OUTAGE_MS = 30_000;

let postgres: PostgresServer;
let redis: RedisServer;
let jwks: JwksServer;
let database: MigratedDatabase;
let service: ServiceProcess;

beforeAll(async () => {
  [postgres, redis, jwks] = await Promise.all([startPostgresServer(), startRedisServer(), startJwksServer([])]);
  database = await createMigratedDatabase(postgres.adminUrl);
  service = await serviceProcess({
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    TRUSTED_ISSUERS: JSON.stringify([{ issuer: 'http://127.0.0.1/no-loss', jwksUri: jwks.url, audience: 'urn:platform:api', algorithms: ['RS256'] }]),
    LOG_LEVEL: 'warn',
  });
});

afterAll(async () => {
  await service?.stop();
  await database?.close();
  await jwks?.close();
  await redis?.stop();
  await postgres?.remove();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function storedIds(): Promise<{ total: number; distinct: Set<string> }> {
  const result = await sql<{ event_id: string }>`SELECT event_id FROM audit_events`.execute(database.db);
  return { total: result.rows.length, distinct: new Set(result.rows.map((row) => row.event_id)) };
}

describe('audit ingestion without loss', () => {
  it('stores every event once across crashes and a database outage', async () => {
    const publisher = new AuditPublisher({ connection: { host: '127.0.0.1', port: redis.port }, producer: 'token-validation', logger: pino({ level: 'silent' }), maxBatchSize: 50, maxDelayMs: 20 });
    const sent: AuditEvent[] = [];
    let producing = true;
    // A steady stream of about 200 events per second for the whole test.
    const producer = (async () => {
      let index = 0;
      while (producing) {
        for (let burst = 0; burst < 10; burst += 1) {
          const event = accessEvent({ principalId: `user-${index % 97}`, resourceId: String(index % 13) });
          index += 1;
          sent.push(event);
          publisher.publish(event);
        }
        await sleep(50);
      }
    })();

    await service.start();
    await waitFor(async () => (await storedIds()).total > 0, 'the first stored events', 30_000, 200);

    // A crash while batches are in flight, and a restart after a pause.
    await service.kill();
    await sleep(2_000);
    await service.start();

    // PostgreSQL unreachable for 30 seconds, with a second crash and a start during the outage.
    await postgres.stop();
    const outageStart = Date.now();
    await sleep(5_000);
    await service.kill();
    await service.start();
    await sleep(OUTAGE_MS - (Date.now() - outageStart));
    await postgres.start();

    await sleep(2_000);
    producing = false;
    await producer;
    // Re-delivery: the first 200 events again in new jobs, as a producer retry would send them.
    await publisher.publishNow(sent.slice(0, 200));
    await publisher.close();

    const expected = new Set(sent.map((event) => event.eventId));
    await waitFor(async () => (await storedIds()).distinct.size >= expected.size, `all ${expected.size} events stored`, 150_000, 500);

    const stored = await storedIds();
    expect(stored.total).toBe(expected.size);
    expect(stored.distinct.size).toBe(expected.size);
    expect([...expected].filter((id) => !stored.distinct.has(id))).toEqual([]);

    // The outage reached the worker, which paused instead of failing batches.
    expect(service.logs()).toContain('audit_database_unreachable');
    expect(service.logs()).not.toContain('audit_batch_failed_permanently');

    // Nothing was parked or failed for good, and every job was completed.
    const queue = createQueue(QUEUE_NAMES.auditEvents, { host: '127.0.0.1', port: redis.port });
    const deadLetters = createQueue(QUEUE_NAMES.auditDeadLetters, { host: '127.0.0.1', port: redis.port });
    try {
      await waitFor(async () => {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed');
        return counts['waiting'] === 0 && counts['active'] === 0 && counts['delayed'] === 0;
      }, 'the audit queue to drain', 60_000, 200);
      expect((await queue.getJobCounts('failed'))['failed']).toBe(0);
      expect(await deadLetters.getWaitingCount()).toBe(0);
    } finally {
      await queue.close();
      await deadLetters.close();
    }
  }, 300_000);
});
