import { sql, type Kysely } from 'kysely';
import type { Database } from '../database/database.ts';

// Monthly partitions of `audit_events`, named audit_events_yYYYYmMM and bounded by UTC month
// starts. Creation and removal run as the table owner (the role that runs the migrations), under
// an advisory lock so that several replicas can run the same upkeep at once.

const PARTITION_NAME = /^audit_events_y(\d{4})m(\d{2})$/;
const UPKEEP_LOCK = 'audit_events.partitions';

/** A calendar month in UTC. */
export interface Month {
  year: number;
  /** 1 to 12. */
  month: number;
}

export function monthOf(date: Date): Month {
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1 };
}

export function addMonths(base: Month, count: number): Month {
  const index = base.year * 12 + (base.month - 1) + count;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

export function monthStart(month: Month): Date {
  return new Date(Date.UTC(month.year, month.month - 1, 1));
}

export function partitionName(month: Month): string {
  return `audit_events_y${month.year}m${String(month.month).padStart(2, '0')}`;
}

/** Returns the month a partition covers, or undefined for a table that is not a monthly partition. */
export function parsePartitionName(name: string): Month | undefined {
  const match = PARTITION_NAME.exec(name);
  if (match === null) return undefined;
  return { year: Number(match[1]), month: Number(match[2]) };
}

function compareMonths(left: Month, right: Month): number {
  return left.year * 12 + left.month - (right.year * 12 + right.month);
}

/** Lists the monthly partitions that exist, oldest first. */
export async function listPartitions(db: Kysely<Database>): Promise<Month[]> {
  const result = await sql<{ name: string }>`
    SELECT child.relname AS name
    FROM pg_inherits
    JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
    JOIN pg_class child ON child.oid = pg_inherits.inhrelid
    WHERE parent.relname = 'audit_events'`.execute(db);
  return result.rows
    .map((row) => parsePartitionName(row.name))
    .filter((month): month is Month => month !== undefined)
    .sort(compareMonths);
}

/**
 * Creates the partitions of the given months when missing. Each partition also gets the TRUNCATE
 * guard, because statement triggers are not cloned from the partitioned table.
 */
export async function createPartitions(db: Kysely<Database>, months: Month[]): Promise<void> {
  if (months.length === 0) return;
  await db.transaction().execute(async (transaction) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${UPKEEP_LOCK}))`.execute(transaction);
    const existing = new Set((await listPartitions(transaction)).map(partitionName));
    for (const month of months) {
      const name = partitionName(month);
      if (existing.has(name)) continue;
      const from = monthStart(month).toISOString();
      const to = monthStart(addMonths(month, 1)).toISOString();
      await sql`CREATE TABLE ${sql.id(name)} PARTITION OF audit_events FOR VALUES FROM (${sql.lit(from)}) TO (${sql.lit(to)})`.execute(transaction);
      await sql`CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON ${sql.id(name)} FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change()`.execute(transaction);
      existing.add(name);
    }
  });
}

/** Creates the partitions from the current month to `monthsAhead` months later. */
export async function createPartitionsAhead(db: Kysely<Database>, now: Date, monthsAhead: number): Promise<void> {
  const current = monthOf(now);
  const months = Array.from({ length: monthsAhead + 1 }, (_, offset) => addMonths(current, offset));
  await createPartitions(db, months);
}

/** Returns the first month that retention keeps: the current month and the `retentionMonths - 1` before it. */
export function oldestRetainedMonth(now: Date, retentionMonths: number): Month {
  return addMonths(monthOf(now), -(retentionMonths - 1));
}

/**
 * Drops every partition older than the retention window and returns the dropped months. Whole
 * partitions go at once, so no row is ever deleted. A short lock timeout keeps ingestion from
 * queueing behind the lock that DROP TABLE takes on the partitioned table. A drop that times out
 * is retried by the next upkeep run.
 */
export async function dropExpiredPartitions(db: Kysely<Database>, now: Date, retentionMonths: number): Promise<Month[]> {
  const oldest = oldestRetainedMonth(now, retentionMonths);
  return db.transaction().execute(async (transaction) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${UPKEEP_LOCK}))`.execute(transaction);
    await sql`SET LOCAL lock_timeout = '5s'`.execute(transaction);
    const expired = (await listPartitions(transaction)).filter((month) => compareMonths(month, oldest) < 0);
    for (const month of expired) {
      await sql`DROP TABLE ${sql.id(partitionName(month))}`.execute(transaction);
    }
    return expired;
  });
}
