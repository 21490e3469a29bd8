import type { Kysely } from 'kysely';
import type { Database } from '../database/database.ts';
import type { Logger } from 'pino';
import { validateAuditEvent } from '@platform/audit-schema';
import { auditBatchJobValidator } from '@platform/queues';
import { isDataError, isMissingPartitionError } from './database-errors.ts';
import type { DeadLetterInput } from './dead-letters.ts';
import { createPartitions, monthOf, monthStart, oldestRetainedMonth, partitionName, type Month } from './partitions.ts';
import { insertAuditRows, toInsertRow, type AuditInsertRow } from './store.ts';

/** Events dated further ahead than this are parked: a clock that far off is a producer fault. */
export const MAX_FUTURE_SKEW_MS = 24 * 3600 * 1000;

export interface BatchOutcome {
  stored: number;
  duplicates: number;
  deadLettered: number;
}

interface AcceptedRow {
  /** Position of the event in its batch. */
  index: number;
  row: AuditInsertRow;
}

export interface BatchInput {
  jobId: string;
  data: unknown;
}

export interface BatchProcessorOptions {
  db: Kysely<Database>;
  logger: Logger;
  retentionMonths: number;
  parkDeadLetters: (letters: DeadLetterInput[]) => Promise<void>;
  now?: () => Date;
}

/**
 * Turns one audit batch job into stored rows and dead letters. Every event is validated on its
 * own, so an invalid one is parked and the others are stored. Database errors that are not about a
 * single event propagate, so the caller can wait or retry. Storing again is harmless because the
 * insert skips events already stored and dead letters are keyed by job and position.
 */
export class AuditBatchProcessor {
  private readonly options: BatchProcessorOptions;
  private readonly now: () => Date;
  private readonly knownPartitions = new Set<string>();

  constructor(options: BatchProcessorOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
  }

  async process(input: BatchInput): Promise<BatchOutcome> {
    const letters: DeadLetterInput[] = [];
    const producerOf = (data: unknown) => {
      const producer = (data as { meta?: { producer?: unknown } } | null)?.meta?.producer;
      return typeof producer === 'string' ? producer.slice(0, 64) : 'unknown';
    };

    if (!auditBatchJobValidator.Check(input.data)) {
      letters.push({ reason: 'job payload is not an audit batch (expected {meta, events[1..1000]})', event: input.data, producer: producerOf(input.data), sourceJobId: input.jobId, index: null });
      await this.park(letters, input.jobId);
      return { stored: 0, duplicates: 0, deadLettered: 1 };
    }

    const producer = input.data.meta.producer;
    const events = input.data.events;
    const accepted = this.acceptedRows(events, (index, reason, event) => {
      letters.push({ reason, event, producer, sourceJobId: input.jobId, index });
    });
    const { stored, rejected } = await this.store(accepted, (entry, reason) => {
      letters.push({ reason, event: events[entry.index], producer, sourceJobId: input.jobId, index: entry.index });
    });
    await this.park(letters, input.jobId);
    return { stored, duplicates: accepted.length - stored - rejected, deadLettered: letters.length };
  }

  /** Validates each event and returns the rows to insert, without repeats inside the batch. */
  private acceptedRows(events: unknown[], reject: (index: number, reason: string, event: unknown) => void): AcceptedRow[] {
    const now = this.now();
    const oldest = monthStart(oldestRetainedMonth(now, this.options.retentionMonths));
    const latest = now.getTime() + MAX_FUTURE_SKEW_MS;
    const seen = new Set<string>();
    const rows: AcceptedRow[] = [];

    events.forEach((candidate, index) => {
      const result = validateAuditEvent(candidate);
      if (!result.valid) {
        reject(index, result.reason, candidate);
        return;
      }
      const occurredAt = Date.parse(result.event.occurredAt);
      if (Number.isNaN(occurredAt)) {
        reject(index, `occurredAt ${result.event.occurredAt} is not a valid time`, candidate);
        return;
      }
      if (occurredAt < oldest.getTime()) {
        reject(index, `occurredAt ${result.event.occurredAt} is before the retention window, which starts at ${oldest.toISOString()}`, candidate);
        return;
      }
      if (occurredAt > latest) {
        reject(index, `occurredAt ${result.event.occurredAt} is more than 24 hours in the future`, candidate);
        return;
      }
      const key = `${result.event.eventId}/${result.event.occurredAt}`;
      if (seen.has(key)) return;
      seen.add(key);
      rows.push({ index, row: toInsertRow(result.event) });
    });
    return rows;
  }

  /**
   * Inserts the rows in one statement. When PostgreSQL rejects a value, the rows are inserted one
   * by one so the offending events are parked and the rest still stored.
   */
  private async store(entries: AcceptedRow[], reject: (entry: AcceptedRow, reason: string) => void): Promise<{ stored: number; rejected: number }> {
    if (entries.length === 0) return { stored: 0, rejected: 0 };
    const rows = entries.map((entry) => entry.row);
    await this.ensurePartitions(rows);
    try {
      return { stored: await insertAuditRows(this.options.db, rows), rejected: 0 };
    } catch (error) {
      if (isMissingPartitionError(error)) this.knownPartitions.clear();
      if (!isDataError(error)) throw error;
    }

    let stored = 0;
    let rejected = 0;
    for (const entry of entries) {
      try {
        stored += await insertAuditRows(this.options.db, [entry.row]);
      } catch (error) {
        if (!isDataError(error)) throw error;
        rejected += 1;
        reject(entry, `database rejected the event: ${(error as Error).message}`);
      }
    }
    return { stored, rejected };
  }

  private async ensurePartitions(rows: AuditInsertRow[]): Promise<void> {
    const missing = new Map<string, Month>();
    for (const row of rows) {
      const month = monthOf(new Date(row.occurred_at));
      const name = partitionName(month);
      if (!this.knownPartitions.has(name)) missing.set(name, month);
    }
    if (missing.size === 0) return;
    await createPartitions(this.options.db, [...missing.values()]);
    for (const name of missing.keys()) this.knownPartitions.add(name);
  }

  private async park(letters: DeadLetterInput[], jobId: string): Promise<void> {
    if (letters.length === 0) return;
    await this.options.parkDeadLetters(letters);
    this.options.logger.warn(
      { code: 'audit_event_dead_lettered', jobId, count: letters.length, firstReason: letters[0]!.reason },
      'audit events failed validation or storage and were parked in the dead-letter queue',
    );
  }
}
