import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { buildAuditEvent, type AuditEvent } from '@platform/audit-schema';
import { AuditPublisher, QUEUE_NAMES, createQueue } from '@platform/queues';
import { createSigningKey, signTestToken, startJwksServer, waitFor } from '@platform/testing';
import { atLeast, atMost, median, percentile, report } from '../report.ts';
import { startEnvironment, startService } from '../audit-trail/environment.ts';
import { drawResource, seedTrail } from '../audit-trail/seed.ts';

// The audit trail of permission-service, end to end on one machine:
//   ingestion: a producer publishes access decisions through the platform's AuditPublisher into
//     BullMQ, and the service's ingestion worker (the real src/main.ts, as a child process) stores
//     them. The rate is events stored per second of wall time, from the first publish until the
//     queue is empty, with producer and worker sharing the machine (the target applies to this).
//     Beside it, the worker alone drains a queue filled while paused, which shows how much of the
//     machine the producer took;
//   query: "who accessed resource X in the last 24 hours" over HTTP against a trail of 10 million
//     rows, with resources drawn by the same skewed popularity as the data, plus the hottest one.
// Both run against private PostgreSQL and Redis servers started here. The PostgreSQL test server
// runs with fsync=off, so commit flushes to disk are not part of the ingestion figure.
// AUDIT_BENCH_ROWS overrides the trail size (10,000,000) for quicker trial runs.

const TRAIL_ROWS = Number(process.env['AUDIT_BENCH_ROWS'] ?? 10_000_000);
const TRAIL_DAYS = 60;
const WARMUP_EVENTS = 20_000;
const MEASURED_EVENTS = 300_000;
const PUBLISH_CHUNK = 500;
const QUERY_WARMUP = 20;
const QUERY_TRIALS = 400;
const HOT_TRIALS = 50;
const ISSUER = 'http://127.0.0.1/audit-benchmark';
const AUDIENCE = 'urn:platform:api';

function accessDecision(index: number, occurredAt: Date): AuditEvent {
  const resource = drawResource();
  const m2m = index % 10 === 0;
  return buildAuditEvent('access.decision', {
    occurredAt,
    producer: 'token-validation',
    principal: m2m ? { type: 'm2m', id: `m2m_client_${index % 500}` } : { type: 'user', id: `user-${index % 50_000}` },
    action: 'api.access',
    resource,
    http: { method: 'GET', path: `/api/${resource.type}/${resource.id}`, status: 200 },
    decision: 'allow',
    requestId: `bench-${index}`,
    clientIp: '10.0.0.1',
    userAgent: 'partner-sdk/1.4',
    scopes: ['transactions:read'],
    context: {},
  }) as AuditEvent;
}

/** Publishes `count` events as fast as the producer can and returns the publish time in ms. */
async function publishEvents(publisher: AuditPublisher, count: number, firstIndex: number): Promise<number> {
  const started = performance.now();
  for (let offset = 0; offset < count; offset += PUBLISH_CHUNK) {
    const now = new Date();
    for (let index = offset; index < Math.min(offset + PUBLISH_CHUNK, count); index += 1) publisher.publish(accessDecision(firstIndex + index, now));
    // Yield so the enqueues of earlier chunks proceed while the next one is built.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return performance.now() - started;
}

export default async function audit(): Promise<boolean> {
  const environment = await startEnvironment();
  const key = await createSigningKey('RS256');
  const jwks = await startJwksServer([key.publicJwk]);
  const measurements: Array<Record<string, string | number>> = [];
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  let publisher: AuditPublisher | undefined;
  let auditQueue: ReturnType<typeof createQueue> | undefined;

  try {
    let started = performance.now();
    await seedTrail(environment.pool, TRAIL_ROWS, TRAIL_DAYS, new Date());
    const seedSeconds = (performance.now() - started) / 1000;
    console.log(`seeded ${TRAIL_ROWS.toLocaleString('en-US')} rows over ${TRAIL_DAYS} days in ${seedSeconds.toFixed(1)} s`);
    measurements.push({ step: 'seed trail (generate_series, indexes, vacuum)', rows: TRAIL_ROWS, seconds: round(seedSeconds) });

    service = await startService({
      DATABASE_URL: environment.databaseUrl,
      REDIS_URL: environment.redis.url,
      TRUSTED_ISSUERS: JSON.stringify([{ issuer: ISSUER, jwksUri: jwks.url, audience: AUDIENCE, algorithms: ['RS256'] }]),
    });

    // Ingestion: warm up, then measure twice, side by side.
    const connection = { host: '127.0.0.1', port: environment.redis.port };
    const newPublisher = () => new AuditPublisher({
      connection,
      producer: 'token-validation',
      logger: pino({ level: 'warn' }),
      maxBatchSize: 500,
      maxDelayMs: 20,
      maxBufferedEvents: 2 * MEASURED_EVENTS,
    });
    const storedSince = async (since: Date) => Number((await environment.pool.query<{ count: string }>('SELECT count(*) FROM audit_events WHERE occurred_at >= $1', [since])).rows[0]!.count);
    // The queue is polled because counting rows at every poll would take CPU from the ingestion
    // being measured. Rows are counted once, after the queue is empty.
    auditQueue = createQueue(QUEUE_NAMES.auditEvents, connection);
    const queue = auditQueue;
    const drained = async () => {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).every((count) => count === 0);
    };
    const checkStored = async (since: Date, expected: number) => {
      const stored = await storedSince(since);
      if (stored !== expected) throw new Error(`expected ${expected} stored events after the queue drained, found ${stored}`);
    };

    publisher = newPublisher();
    const warmupStart = new Date();
    await publishEvents(publisher, WARMUP_EVENTS, 0);
    await waitFor(async () => (await storedSince(warmupStart)) >= WARMUP_EVENTS, 'warm-up events stored', 120_000, 250);

    // 1. Producer and worker at once, sharing the machine: the figure the target applies to.
    let measuredStart = new Date(Date.now() + 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    started = performance.now();
    const publishMs = await publishEvents(publisher, MEASURED_EVENTS, WARMUP_EVENTS);
    // Closing flushes the last micro-batch.
    await publisher.close();
    publisher = undefined;
    await waitFor(drained, 'the audit queue to drain', 300_000, 20);
    const ingestionSeconds = (performance.now() - started) / 1000;
    await checkStored(measuredStart, MEASURED_EVENTS);
    const ingestionRate = MEASURED_EVENTS / ingestionSeconds;

    // 2. The worker alone: the queue is filled while paused, then drained.
    await queue.pause();
    publisher = newPublisher();
    measuredStart = new Date(Date.now() + 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const alonePublishMs = await publishEvents(publisher, MEASURED_EVENTS, WARMUP_EVENTS + MEASURED_EVENTS);
    await publisher.close();
    publisher = undefined;
    started = performance.now();
    await queue.resume();
    await waitFor(drained, 'the audit queue to drain', 300_000, 20);
    const drainSeconds = (performance.now() - started) / 1000;
    await checkStored(measuredStart, MEASURED_EVENTS);

    measurements.push(
      { step: 'publish while the worker runs (validate + enqueue)', rows: MEASURED_EVENTS, seconds: round(publishMs / 1000), eventsPerSecond: Math.round(MEASURED_EVENTS / (publishMs / 1000)) },
      { step: 'ingest, producer and worker at once (first publish to stored)', rows: MEASURED_EVENTS, seconds: round(ingestionSeconds), eventsPerSecond: Math.round(ingestionRate) },
      { step: 'publish alone, queue paused', rows: MEASURED_EVENTS, seconds: round(alonePublishMs / 1000), eventsPerSecond: Math.round(MEASURED_EVENTS / (alonePublishMs / 1000)) },
      { step: 'ingest, worker alone (drain a filled queue)', rows: MEASURED_EVENTS, seconds: round(drainSeconds), eventsPerSecond: Math.round(MEASURED_EVENTS / drainSeconds) },
    );

    // Query: who accessed resource X in the last 24 hours.
    await environment.pool.query('VACUUM (ANALYZE) audit_events');
    const token = await signTestToken(key, { issuer: ISSUER, audience: AUDIENCE, subject: 'benchmark-auditor', claims: { permissions: ['audit:read'] }, expiresInSeconds: 3600 });
    const ask = async (resource: { type: string; id: string }) => {
      const to = new Date();
      const from = new Date(to.getTime() - 24 * 3600 * 1000);
      const url = `${service!.url}/v1/audit/resources/${resource.type}/${resource.id}/principals?from=${from.toISOString()}&to=${to.toISOString()}&limit=100`;
      const begin = performance.now();
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      const body = await response.json() as { items?: unknown[] };
      const elapsed = performance.now() - begin;
      if (response.status !== 200) throw new Error(`resource query returned ${response.status}: ${JSON.stringify(body)}`);
      return { elapsed, principals: body.items?.length ?? 0 };
    };
    for (let trial = 0; trial < QUERY_WARMUP; trial += 1) await ask(drawResource());
    const mixed: number[] = [];
    let principalsSeen = 0;
    for (let trial = 0; trial < QUERY_TRIALS; trial += 1) {
      const result = await ask(drawResource());
      mixed.push(result.elapsed);
      principalsSeen += result.principals;
    }
    const hot: number[] = [];
    let hotPrincipals = 0;
    for (let trial = 0; trial < HOT_TRIALS; trial += 1) {
      const result = await ask({ type: 'transactions', id: '0' });
      hot.push(result.elapsed);
      hotPrincipals = result.principals;
    }
    const hotEvents = Number((await environment.pool.query<{ count: string }>(
      "SELECT count(*) FROM audit_events WHERE resource_type = 'transactions' AND resource_id = '0' AND occurred_at >= now() - interval '24 hours'")).rows[0]!.count);
    measurements.push(
      { step: 'who accessed X, 24 h, skewed mix', rows: QUERY_TRIALS, medianMs: round(median(mixed)), p95Ms: round(percentile(mixed, 95)), meanPrincipals: round(principalsSeen / QUERY_TRIALS) },
      { step: `who accessed X, 24 h, hottest (${hotEvents} events)`, rows: HOT_TRIALS, medianMs: round(median(hot)), p95Ms: round(percentile(hot, 95)), principalsOnFirstPage: hotPrincipals },
    );

    return report('audit', measurements, [
      atLeast('ingestion, producer and worker at once, events/s', ingestionRate, 20_000),
      atMost(`who accessed X in 24 h over ${TRAIL_ROWS.toLocaleString('en-US')} rows, p95 ms (skewed mix)`, percentile(mixed, 95), 50),
      atMost('who accessed X in 24 h, p95 ms (hottest resource)', percentile(hot, 95), 50),
    ]);
  } finally {
    await publisher?.close();
    await auditQueue?.close();
    await service?.stop();
    await jwks.close();
    await environment.close();
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
