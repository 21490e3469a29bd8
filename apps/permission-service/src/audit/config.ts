import { env, type VariableSpec } from '@platform/service-kit';

/** Environment variables of the audit trail; merged into the service configuration. */
export const auditConfigSpec = {
  /** Months of audit history kept, the current month included; older monthly partitions are dropped whole. */
  AUDIT_RETENTION_MONTHS: env.integer({ min: 1, max: 1200, default: 13 }),
  /** Monthly partitions created ahead of the current month. */
  AUDIT_PARTITIONS_AHEAD_MONTHS: env.integer({ min: 1, max: 24, default: 3 }),
  /** Interval of partition creation and retention runs (ms). */
  AUDIT_MAINTENANCE_INTERVAL_MS: env.integer({ min: 1_000, max: 86_400_000, default: 3_600_000 }),
  /** Whether this instance consumes the audit queue; replicas that only serve the API may turn it off. */
  AUDIT_INGESTION_ENABLED: env.boolean({ default: true }),
  /** Audit batches one instance stores at once. */
  AUDIT_INGESTION_CONCURRENCY: env.integer({ min: 1, max: 64, default: 4 }),
  /** Maximum time window one audit query may span (days). */
  AUDIT_QUERY_MAX_WINDOW_DAYS: env.integer({ min: 1, max: 366, default: 31 }),
} satisfies Record<string, VariableSpec<unknown>>;
