import type { Decision, PrincipalType } from './envelope.ts';

/**
 * Row of the `audit_events` table in PostgreSQL, as kysely sees it. The table is partitioned by
 * month on `occurred_at`, and (`occurred_at`, `event_id`) is the primary key. Producers fix both
 * values when they build an event, so ingestion is idempotent on the event id.
 */
export interface AuditEventRow {
  event_id: string;
  occurred_at: Date;
  kind: string;
  version: number;
  producer: string;
  principal_type: PrincipalType;
  principal_id: string;
  actor_type: PrincipalType | null;
  actor_id: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  http_method: string | null;
  http_path: string | null;
  http_status: number | null;
  decision: Decision;
  reason: string | null;
  request_id: string | null;
  trace_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  scopes: string[] | null;
  context: Record<string, unknown>;
}

/** Values of one `audit_events` row for an insert, with `occurred_at` as the producer's ISO string. */
export type AuditEventInsertRow = Omit<AuditEventRow, 'occurred_at'> & { occurred_at: string };
