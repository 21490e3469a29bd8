import { randomUUID } from 'node:crypto';
import type { ConnectionOptions, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { validateAuditEvent, type AuditEvent } from '@platform/audit-schema';
import { DEFAULT_JOB_OPTIONS, createQueue, currentTraceparent } from './factories.ts';
import { jobIdFor } from './job-id.ts';
import { QUEUE_NAMES } from './names.ts';
import type { AuditBatchJob } from './payloads.ts';

export interface AuditPublisherOptions {
  connection: ConnectionOptions;
  producer: string;
  logger: Logger;
  /** Largest number of events in one job. */
  maxBatchSize?: number;
  /** Maximum time an access event waits in memory before its batch is sent. */
  maxDelayMs?: number;
  /** Events kept in memory while Redis is unreachable; beyond it the oldest are dropped and counted. */
  maxBufferedEvents?: number;
}

/**
 * Sends audit events to permission-service over BullMQ.
 *
 * `publishNow` is for security actions: it validates and enqueues before it resolves, so an API can
 * return success only after the audit event is durable in Redis. `publish` is for access events on
 * the hot path: events are micro-batched for at most `maxDelayMs` (50 ms by default) or
 * `maxBatchSize` events, and `close()` flushes what is left.
 */
export class AuditPublisher {
  readonly queue: Queue<AuditBatchJob>;
  private readonly producer: string;
  private readonly logger: Logger;
  private readonly maxBatchSize: number;
  private readonly maxDelayMs: number;
  private readonly maxBufferedEvents: number;
  private buffer: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();
  private droppedEvents = 0;

  constructor(options: AuditPublisherOptions) {
    // Completed audit batches carry up to maxBatchSize events each; keep few of them, because the
    // stored trail in PostgreSQL, not Redis, is the record.
    this.queue = createQueue<AuditBatchJob>(QUEUE_NAMES.auditEvents, options.connection, {
      ...DEFAULT_JOB_OPTIONS,
      removeOnComplete: { age: 3600, count: 100 },
    });
    this.producer = options.producer;
    this.logger = options.logger;
    this.maxBatchSize = options.maxBatchSize ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 50;
    this.maxBufferedEvents = options.maxBufferedEvents ?? 100_000;
  }

  /** Number of access events dropped because the buffer was full while Redis was unreachable. */
  get dropped(): number {
    return this.droppedEvents;
  }

  /** Validates and enqueues events durably; rejects when they could not be enqueued. */
  async publishNow(events: AuditEvent[]): Promise<void> {
    for (const event of events) assertValid(event);
    await this.enqueue(events);
  }

  /** Buffers one access event for the next micro-batch. */
  publish(event: AuditEvent): void {
    assertValid(event);
    if (this.buffer.length >= this.maxBufferedEvents) {
      this.buffer.shift();
      this.droppedEvents += 1;
      if (this.droppedEvents % 1000 === 1) this.logger.error({ code: 'audit_buffer_full', dropped: this.droppedEvents }, 'audit buffer full; dropping the oldest access events');
    }
    this.buffer.push(event);
    if (this.buffer.length >= this.maxBatchSize) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.maxDelayMs);
  }

  /** Sends the buffered events now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.maxBatchSize);
      const sending = this.enqueue(batch).catch((error: unknown) => {
        // Put the batch back so it is retried with the next flush instead of being lost.
        this.buffer.unshift(...batch);
        this.logger.error({ err: error, code: 'audit_enqueue_failed', events: batch.length }, 'audit batch could not be enqueued; will retry');
        this.timer ??= setTimeout(() => this.flush(), 1_000);
      });
      this.inFlight.add(sending);
      void sending.finally(() => this.inFlight.delete(sending));
    }
  }

  /** Flushes buffered events, waits for sends in flight, and closes the queue connection. */
  async close(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
    if (this.timer) clearTimeout(this.timer);
    if (this.buffer.length > 0) this.logger.error({ code: 'audit_events_lost', events: this.buffer.length }, 'audit events could not be sent before shutdown');
    await this.queue.close();
  }

  private async enqueue(events: AuditEvent[]): Promise<void> {
    const eventId = randomUUID();
    const traceparent = currentTraceparent();
    const job: AuditBatchJob = {
      meta: { eventId, producer: this.producer, createdAt: Date.now(), ...(traceparent ? { traceparent } : {}) },
      events,
    };
    await this.queue.add('audit-batch', job, { jobId: jobIdFor('audit-batch', eventId) });
  }
}

function assertValid(event: AuditEvent): void {
  const result = validateAuditEvent(event);
  if (!result.valid) throw new TypeError(`invalid audit event: ${result.reason}`);
}
