import { sql, type Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { outboxRelayLeaseKey } from '@platform/redis-keys';
import type { QueueName } from '@platform/queues';
import type { Database } from '../database/database.ts';
import type { OutboxMessage } from '../database/tables.ts';
import { RedisLease } from './lease.ts';
import type { ProducerQueues } from './producer-queues.ts';

export interface OutboxRelayOptions {
  db: Kysely<Database>;
  redis: Redis;
  queues: ProducerQueues;
  logger: Logger;
  intervalMs: number;
  leaseMs: number;
  batchSize?: number;
  /** Maximum wait for one BullMQ add (ms) before the row is left for the next pass. */
  publishTimeoutMs?: number;
}

/**
 * Publishes outbox rows to BullMQ in the order they were written. One replica relays at a time
 * because it holds a Redis lease. Rows are also locked with SKIP LOCKED, so a second relay cannot
 * publish the same row concurrently. A row is marked published only after every message of it was added;
 * when Redis is unreachable the row stays and the next pass retries it, and a message added twice
 * carries the same job id, which BullMQ ignores while the first job is kept.
 */
export class OutboxRelay {
  private readonly options: Required<OutboxRelayOptions>;
  private readonly lease: RedisLease;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private stopped = true;

  constructor(options: OutboxRelayOptions) {
    this.options = { batchSize: 100, publishTimeoutMs: 5_000, ...options };
    this.lease = new RedisLease(options.redis, outboxRelayLeaseKey(), options.leaseMs);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs a pass soon, for example right after a transaction wrote an outbox row. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) this.rerun = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    try {
      await this.lease.release();
    } catch {
      // Redis unreachable: the lease expires by itself.
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        const again = this.rerun;
        this.rerun = false;
        this.schedule(again ? 0 : this.options.intervalMs);
      });
    }, delayMs);
  }

  private async pass(): Promise<void> {
    try {
      if (!(await this.lease.acquire())) return;
      await this.publishPending();
    } catch (error) {
      this.options.logger.warn({ err: error, code: 'outbox_relay_pass_failed' }, 'outbox relay pass failed; retrying on the next pass');
    }
  }

  /** Publishes every unpublished row; returns the number of rows published. Stops at the first row that fails. */
  async publishPending(): Promise<number> {
    let total = 0;
    for (;;) {
      const { published, failed, seen } = await this.publishBatch();
      total += published;
      if (failed || seen < this.options.batchSize) break;
    }
    return total;
  }

  private async publishBatch(): Promise<{ published: number; failed: boolean; seen: number }> {
    const { db, logger } = this.options;
    return db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('outbox')
        .select(['id', 'topic', 'messages', 'attempts'])
        .where('published_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id')
        .limit(this.options.batchSize)
        .forUpdate()
        .skipLocked()
        .execute();

      let published = 0;
      for (const row of rows) {
        try {
          for (const message of row.messages) await this.publish(message);
        } catch (error) {
          // Later rows wait behind this one, so consumers see a user's events in the order written.
          // NOTE: a row whose message BullMQ always rejects blocks the relay; it is logged on every pass and needs an operator.
          const message = error instanceof Error ? error.message : String(error);
          await trx.updateTable('outbox').set({ attempts: sql`attempts + 1`, last_error: message.slice(0, 1000) }).where('id', '=', row.id).execute();
          logger.warn({ err: error, outboxId: row.id, topic: row.topic, attempts: row.attempts + 1, code: 'outbox_publish_failed' }, 'outbox row could not be published; will retry');
          return { published, failed: true, seen: rows.length };
        }
        await trx.updateTable('outbox').set({ published_at: sql`now()`, attempts: sql`attempts + 1`, last_error: null }).where('id', '=', row.id).execute();
        logger.info({ outboxId: row.id, topic: row.topic, messages: row.messages.length }, 'outbox row published');
        published += 1;
      }
      return { published, failed: false, seen: rows.length };
    });
  }

  private async publish(message: OutboxMessage): Promise<void> {
    const queue = this.options.queues.get(message.queue as QueueName);
    const delay = message.runAt === undefined ? undefined : Math.max(0, message.runAt - Date.now());
    const adding = queue.add(message.name, message.data, { jobId: message.jobId, ...(delay === undefined ? {} : { delay }) });
    await withTimeout(adding, this.options.publishTimeoutMs, `adding job ${message.name} to ${message.queue} timed out`);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  // A late add that still completes is harmless: the same job id makes the retry a no-op.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
