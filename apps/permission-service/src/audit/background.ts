import type { BackgroundTask } from '../background.ts';
import { AuditIngestionWorker } from './ingestion-worker.ts';
import { startPartitionMaintenance } from './maintenance.ts';

const partitionMaintenance: BackgroundTask = {
  name: 'audit-partition-maintenance',
  async start(context) {
    return startPartitionMaintenance({
      db: context.db,
      logger: context.logger,
      retentionMonths: context.config.AUDIT_RETENTION_MONTHS,
      monthsAhead: context.config.AUDIT_PARTITIONS_AHEAD_MONTHS,
      intervalMs: context.config.AUDIT_MAINTENANCE_INTERVAL_MS,
    });
  },
};

const ingestion: BackgroundTask = {
  name: 'audit-ingestion',
  async start(context) {
    if (!context.config.AUDIT_INGESTION_ENABLED) {
      context.logger.info('audit ingestion is turned off on this instance (AUDIT_INGESTION_ENABLED=false)');
      return async () => {};
    }
    const worker = new AuditIngestionWorker({
      db: context.db,
      connection: context.workerConnection,
      logger: context.logger,
      retentionMonths: context.config.AUDIT_RETENTION_MONTHS,
      concurrency: context.config.AUDIT_INGESTION_CONCURRENCY,
    });
    return () => worker.close();
  },
};

/** Background work of the audit trail: partition upkeep, then the ingestion worker. */
export const auditBackgroundTasks: BackgroundTask[] = [partitionMaintenance, ingestion];
