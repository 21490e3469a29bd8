import { Worker, type ConnectionOptions, type Job, type Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Database } from '../database/database.ts';
import type { Logger } from 'pino';
import { QUEUE_NAMES, createQueue, createWorker, withJobTraceContext, type AuditBatchJob } from '@platform/queues';
import { AuditBatchProcessor, type BatchOutcome } from './batch-processor.ts';
import { isConnectionError } from './database-errors.ts';
import { createDeadLetterQueue, parkDeadLetters, type AuditDeadLetter } from './dead-letters.ts';

export interface AuditIngestionOptions {
  db: Kysely<Database>;
  /** Redis connection options; the worker's own connection gets `maxRetriesPerRequest: null`. */
  connection: ConnectionOptions;
  logger: Logger;
  retentionMonths: number;
  /** Batches processed at once by this instance. */
  concurrency: number;
  /** Maximum pause between two attempts to reach an unreachable database. */
  maxOutageBackoffMs?: number;
  /**
   * How long a batch stays claimed by an instance that stopped without finishing it. After about
   * this long (at most twice it), another instance takes the batch over.
   */
  lockDurationMs?: number;
}

export interface AuditIngestionStats {
  batches: number;
  stored: number;
  duplicates: number;
  deadLettered: number;
  /** Times the database became unreachable. */
  databaseOutages: number;
}

/**
 * Consumes audit batches from BullMQ and stores them.
 *
 * While the database is unreachable, the worker rate-limits the whole queue with a growing delay
 * and puts the batch back without spending one of its attempts, so an outage of any length loses
 * nothing. Other failures are thrown, and BullMQ retries the batch with the exponential backoff of
 * the producers' job options. A batch that uses up its attempts stays in the failed set.
 */
export class AuditIngestionWorker {
  readonly worker: Worker<AuditBatchJob>;
  readonly deadLetters: Queue<AuditDeadLetter>;
  readonly stats: AuditIngestionStats = { batches: 0, stored: 0, duplicates: 0, deadLettered: 0, databaseOutages: 0 };
  private readonly auditQueue: Queue<AuditBatchJob>;
  private readonly processor: AuditBatchProcessor;
  private readonly logger: Logger;
  private readonly maxOutageBackoffMs: number;
  private outageSince: number | undefined;
  private outageAttempts = 0;

  constructor(options: AuditIngestionOptions) {
    this.logger = options.logger;
    this.maxOutageBackoffMs = options.maxOutageBackoffMs ?? 10_000;
    this.deadLetters = createDeadLetterQueue(options.connection);
    this.auditQueue = createQueue<AuditBatchJob>(QUEUE_NAMES.auditEvents, options.connection);
    this.processor = new AuditBatchProcessor({
      db: options.db,
      logger: options.logger,
      retentionMonths: options.retentionMonths,
      parkDeadLetters: (letters) => parkDeadLetters(this.deadLetters, letters),
    });

    const lockDuration = options.lockDurationMs ?? 15_000;
    this.worker = createWorker<AuditBatchJob>(QUEUE_NAMES.auditEvents, (job) => this.handle(job), workerConnection(options.connection), {
      concurrency: options.concurrency,
      lockDuration,
      stalledInterval: lockDuration,
      // A batch claimed by an instance that was killed is taken over; it must not fail for that.
      maxStalledCount: 100,
    });
    this.worker.on('error', (error) => {
      this.logger.error({ err: error, code: 'audit_worker_error' }, 'audit ingestion worker error');
    });
    this.worker.on('failed', (job, error) => {
      if (job === undefined) return;
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade >= attempts) {
        this.logger.error({ err: error, jobId: job.id, attempts, code: 'audit_batch_failed_permanently' }, 'audit batch failed on every attempt and stays in the failed set');
      }
    });
  }

  /** Resolves when the worker is connected to Redis and taking jobs. */
  async waitUntilReady(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  /** Stops taking batches, waits for the ones in progress, and closes the Redis connections. */
  async close(): Promise<void> {
    await this.worker.close();
    await Promise.all([this.deadLetters.close(), this.auditQueue.close()]);
  }

  private async handle(job: Job<AuditBatchJob>): Promise<BatchOutcome> {
    const traceparent = (job.data as { meta?: { traceparent?: string } } | null)?.meta?.traceparent;
    try {
      const outcome = await withJobTraceContext(typeof traceparent === 'string' ? traceparent : undefined, () => this.processor.process({ jobId: String(job.id), data: job.data }));
      this.recordSuccess(outcome);
      return outcome;
    } catch (error) {
      if (isConnectionError(error)) await this.waitForDatabase(error);
      this.logger.error({ err: error, jobId: job.id, attempt: job.attemptsMade + 1, code: 'audit_batch_failed' }, 'audit batch could not be stored; BullMQ retries it with backoff');
      throw error;
    }
  }

  private recordSuccess(outcome: BatchOutcome): void {
    if (this.outageSince !== undefined) {
      this.logger.info({ outageMs: Date.now() - this.outageSince }, 'audit database reachable again; ingestion resumed');
      this.outageSince = undefined;
      this.outageAttempts = 0;
    }
    this.stats.batches += 1;
    this.stats.stored += outcome.stored;
    this.stats.duplicates += outcome.duplicates;
    this.stats.deadLettered += outcome.deadLettered;
  }

  /** Pauses the queue for a growing delay and throws BullMQ's error that puts the job back. */
  private async waitForDatabase(error: unknown): Promise<never> {
    if (this.outageSince === undefined) {
      this.outageSince = Date.now();
      this.stats.databaseOutages += 1;
      this.logger.error({ err: error, code: 'audit_database_unreachable' }, 'audit database unreachable; ingestion paused until it accepts connections again');
    }
    const delay = Math.min(500 * 2 ** Math.min(this.outageAttempts, 10), this.maxOutageBackoffMs);
    this.outageAttempts += 1;
    await this.auditQueue.rateLimit(delay);
    throw Worker.RateLimitError();
  }
}

function workerConnection(connection: ConnectionOptions): ConnectionOptions {
  if (typeof connection === 'object' && connection !== null && !('options' in connection)) {
    return { ...connection, maxRetriesPerRequest: null };
  }
  return connection;
}
