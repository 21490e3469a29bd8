import { sql, type Kysely } from 'kysely';
import type { Database } from '../database/database.ts';
import { auditEventToInsertRow, type AuditEventInsertRow } from '@platform/audit-schema';

/** The role every audit insert runs as; it may insert and read audit rows but never change them. */
export const AUDIT_WRITER_ROLE = 'platform_audit_writer';

/** A validated event as a row for `jsonb_to_recordset`; see auditEventToInsertRow. */
export type AuditInsertRow = AuditEventInsertRow;

export const toInsertRow = auditEventToInsertRow;

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
