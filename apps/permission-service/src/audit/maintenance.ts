import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../database/database.ts';
import { createPartitionsAhead, dropExpiredPartitions, partitionName } from './partitions.ts';

export interface PartitionMaintenanceOptions {
  db: Kysely<Database>;
  logger: Logger;
  retentionMonths: number;
  monthsAhead: number;
  intervalMs: number;
  now?: () => Date;
}

/** Creates the partitions ahead and drops the expired ones once. */
export async function maintainPartitions(options: PartitionMaintenanceOptions): Promise<void> {
  const now = (options.now ?? (() => new Date()))();
  await createPartitionsAhead(options.db, now, options.monthsAhead);
  const dropped = await dropExpiredPartitions(options.db, now, options.retentionMonths);
  if (dropped.length > 0) {
    options.logger.info({ partitions: dropped.map(partitionName), retentionMonths: options.retentionMonths }, 'audit partitions past retention dropped');
  }
}

/**
 * Runs partition upkeep at start and then every `intervalMs`. Every replica runs it; the advisory
 * lock inside makes the runs take turns, and a run that finds nothing to do costs two queries.
 * A failed run is logged and tried again at the next interval.
 */
export function startPartitionMaintenance(options: PartitionMaintenanceOptions): () => Promise<void> {
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= maintainPartitions(options)
      .catch((error: unknown) => options.logger.error({ err: error, code: 'audit_partition_maintenance_failed' }, 'audit partition maintenance failed; retrying at the next interval'))
      .finally(() => {
        running = undefined;
      });
  };
  run();
  const timer = setInterval(run, options.intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
