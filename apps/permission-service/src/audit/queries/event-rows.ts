import { sql } from 'kysely';
import type { AuditEventRow } from '@platform/audit-schema';
import { isoMicros } from './sql-helpers.ts';

type PrincipalType = 'user' | 'm2m' | 'system';

/** An audit event as the API returns it: the envelope producers sent, with microsecond times. */
export interface AuditEventView {
  eventId: string;
  kind: string;
  version: number;
  occurredAt: string;
  producer: string;
  principal: { type: PrincipalType; id: string };
  actor: { type: PrincipalType; id: string } | null;
  action: string;
  resource: { type: string; id: string } | null;
  http: { method: string; path: string; status: number | null } | null;
  decision: string;
  reason: string | null;
  requestId: string | null;
  traceId: string | null;
  clientIp: string | null;
  userAgent: string | null;
  scopes: string[] | null;
  context: Record<string, unknown>;
}

/** An `audit_events` row as the queries select it, with `occurred_at` also as microsecond text. */
export type EventRow = AuditEventRow & { occurred_at_text: string };

/** The select list that produces an EventRow. */
export const EVENT_COLUMNS = sql`
  event_id, occurred_at, ${isoMicros(sql`occurred_at`)} AS occurred_at_text, kind, version, producer,
  principal_type, principal_id, actor_type, actor_id, action, resource_type, resource_id,
  http_method, http_path, http_status, decision, reason, request_id, trace_id, client_ip, user_agent,
  scopes, context`;

export function toEventView(row: EventRow): AuditEventView {
  return {
    eventId: row.event_id,
    kind: row.kind,
    version: row.version,
    occurredAt: row.occurred_at_text,
    producer: row.producer,
    principal: { type: row.principal_type, id: row.principal_id },
    actor: row.actor_type !== null && row.actor_id !== null ? { type: row.actor_type, id: row.actor_id } : null,
    action: row.action,
    resource: row.resource_type !== null && row.resource_id !== null ? { type: row.resource_type, id: row.resource_id } : null,
    http: row.http_method !== null && row.http_path !== null ? { method: row.http_method, path: row.http_path, status: row.http_status } : null,
    decision: row.decision,
    reason: row.reason,
    requestId: row.request_id,
    traceId: row.trace_id,
    clientIp: row.client_ip,
    userAgent: row.user_agent,
    scopes: row.scopes,
    context: row.context,
  };
}
