import type { AuditEvent } from './kinds.ts';
import type { AuditEventRow } from './row.ts';

export function auditEventToRow(event: AuditEvent): AuditEventRow {
  return {
    event_id: event.eventId,
    occurred_at: new Date(event.occurredAt),
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
