import { randomUUID } from 'node:crypto';
import { buildAuditEvent, type AuditEvent } from '@platform/audit-schema';

export interface AccessOptions {
  principalType?: 'user' | 'm2m';
  principalId?: string;
  resourceType?: string;
  resourceId?: string;
  method?: string;
  path?: string;
  decision?: 'allow' | 'deny';
  occurredAt?: Date;
  eventId?: string;
}

/** Builds a valid access decision event with the given overrides. */
export function accessEvent(options: AccessOptions = {}): AuditEvent {
  const resourceType = options.resourceType ?? 'transactions';
  const resourceId = options.resourceId ?? '42';
  return buildAuditEvent('access.decision', {
    eventId: options.eventId ?? randomUUID(),
    occurredAt: options.occurredAt ?? new Date(),
    producer: 'token-validation',
    principal: { type: options.principalType ?? 'user', id: options.principalId ?? 'alice' },
    action: 'api.access',
    resource: { type: resourceType, id: resourceId },
    http: { method: options.method ?? 'GET', path: options.path ?? `/api/${resourceType}/${resourceId}`, status: options.decision === 'deny' ? 403 : 200 },
    decision: options.decision ?? 'allow',
    requestId: randomUUID(),
    scopes: ['transactions:read'],
    context: {},
  }) as AuditEvent;
}
