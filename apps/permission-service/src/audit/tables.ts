import type { AuditEventRow } from '@platform/audit-schema';

/** Tables of the audit trail, for the service's kysely `Database` type. */
export interface AuditTables {
  audit_events: AuditEventRow;
}
