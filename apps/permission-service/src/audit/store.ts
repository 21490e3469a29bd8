import { sql, type Kysely } from 'kysely';
import type { Database } from '../database/database.ts';
import type { AuditEvent } from '@platform/audit-schema';

/** The role every audit insert runs as; it may insert and read audit rows but never change them. */
export const AUDIT_WRITER_ROLE = 'platform_audit_writer';

/**
 * A validated event as a row for `jsonb_to_recordset`. `occurred_at` stays the producer's ISO
 * string, so PostgreSQL keeps its microseconds and a re-delivered event maps to the same key.
 */
export interface AuditInsertRow {
  event_id: string;
  occurred_at: string;
  kind: string;
  version: number;
  producer: string;
  principal_type: string;
  principal_id: string;
  actor_type: string | null;
  actor_id: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  http_method: string | null;
  http_path: string | null;
  http_status: number | null;
  decision: string;
  reason: string | null;
  request_id: string | null;
  trace_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  scopes: string[] | null;
  context: unknown;
}

export function toInsertRow(event: AuditEvent): AuditInsertRow {
  return {
    event_id: event.eventId,
    occurred_at: event.occurredAt,
    kind: event.kind,
    version: event.version,
    producer: event.producer,
    principal_type: event.principal.type,
    principal_id: event.principal.id,
    actor_type: event.actor?.type ?? null,
    actor_id: event.actor?.id ?? null,
    action: event.action,
    resource_type: event.resource?.type ?? null,
    resource_id: event.resource?.id ?? null,
    http_method: event.http?.method ?? null,
    http_path: event.http?.path ?? null,
    http_status: event.http?.status ?? null,
    decision: event.decision,
    reason: event.reason ?? null,
    request_id: event.requestId ?? null,
    trace_id: event.traceId ?? null,
    client_ip: event.clientIp ?? null,
    user_agent: event.userAgent ?? null,
    scopes: event.scopes ?? null,
    context: event.context,
  };
}

/**
 * Inserts rows in one statement as the audit writer role and returns how many were new. A row
 * whose (event_id, occurred_at) is already stored is skipped, which makes re-delivery a no-op:
 * producers fix both values when they build an event, and a re-delivered event repeats them.
 */
// NOTE: uniqueness is on (occurred_at, event_id), so an id that a faulty producer reuses with a
// different occurredAt is stored twice.
export async function insertAuditRows(db: Kysely<Database>, rows: AuditInsertRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  return db.transaction().execute(async (transaction) => {
    await sql`SET LOCAL ROLE ${sql.id(AUDIT_WRITER_ROLE)}`.execute(transaction);
    const result = await sql<{ inserted: number }>`
      WITH inserted AS (
        INSERT INTO audit_events (
          event_id, occurred_at, kind, version, producer, principal_type, principal_id, actor_type, actor_id,
          action, resource_type, resource_id, http_method, http_path, http_status, decision, reason,
          request_id, trace_id, client_ip, user_agent, scopes, context
        )
        SELECT
          event_id, occurred_at, kind, version, producer, principal_type, principal_id, actor_type, actor_id,
          action, resource_type, resource_id, http_method, http_path, http_status, decision, reason,
          request_id, trace_id, client_ip, user_agent, scopes, coalesce(context, '{}'::jsonb)
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS input (
          event_id uuid, occurred_at timestamptz, kind text, version smallint, producer text,
          principal_type text, principal_id text, actor_type text, actor_id text, action text,
          resource_type text, resource_id text, http_method text, http_path text, http_status smallint,
          decision text, reason text, request_id text, trace_id text, client_ip text, user_agent text,
          scopes text[], context jsonb
        )
        ON CONFLICT (event_id, occurred_at) DO NOTHING
        RETURNING 1
      )
      SELECT count(*)::int AS inserted FROM inserted`.execute(transaction);
    return result.rows[0]?.inserted ?? 0;
  });
}
