import type { AuditEvent } from './kinds.ts';
import type { AuditEventInsertRow, AuditEventRow } from './row.ts';

/**
 * Maps an event to the values of its `audit_events` row for an insert. `occurred_at` stays the
 * producer's ISO string, so PostgreSQL keeps its microseconds and a re-delivered event maps to the
 * same key.
 */
export function auditEventToInsertRow(event: AuditEvent): AuditEventInsertRow {
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
    context: event.context as Record<string, unknown>,
  };
}

/** Maps an event to its `audit_events` row as kysely returns it, with `occurred_at` as a Date. */
export function auditEventToRow(event: AuditEvent): AuditEventRow {
  return { ...auditEventToInsertRow(event), occurred_at: new Date(event.occurredAt) };
}
