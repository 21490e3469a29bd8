import type { FastifyRequest } from 'fastify';
import { buildAuditEvent, type AuditEvent, type AuditEventKind, type AuditEventOf } from '@platform/audit-schema';
import type { AuditPublisher } from '@platform/queues';

export const PRODUCER = 'session-gateway';

type EventInput<K extends AuditEventKind> = Parameters<typeof buildAuditEvent<K>>[1];
type RequestFields = 'producer' | 'requestId' | 'traceId' | 'clientIp' | 'userAgent' | 'http';

/** Request details every audit event of an HTTP call carries, cut to the schema's lengths. */
export function requestAuditFields(request: FastifyRequest, status?: number) {
  const userAgent = request.headers['user-agent'];
  return {
    producer: PRODUCER,
    requestId: String(request.id).slice(0, 128),
    traceId: request.traceId.slice(0, 64),
    clientIp: request.ip.slice(0, 64),
    ...(typeof userAgent === 'string' && userAgent !== '' ? { userAgent: userAgent.slice(0, 512) } : {}),
    http: { method: request.method.slice(0, 16), path: (request.url.split('?')[0] ?? '/').slice(0, 2048), ...(status === undefined ? {} : { status }) },
  };
}

/** Builds an audit event of one kind for an HTTP request. */
export function requestAuditEvent<K extends AuditEventKind>(kind: K, request: FastifyRequest, input: Omit<EventInput<K>, RequestFields>, status?: number): AuditEventOf<K> {
  return buildAuditEvent(kind, { ...requestAuditFields(request, status), ...input } as EventInput<K>);
}

/**
 * Queues an access-type audit event (login, logout, rejected call) in the publisher's micro-batch.
 * A failure to build or buffer the event is logged and not thrown, so the response does not change.
 */
export function publishAudit(audit: AuditPublisher, request: FastifyRequest, build: () => AuditEvent): void {
  try {
    audit.publish(build());
  } catch (error) {
    request.log.error({ err: error, code: 'audit_event_invalid' }, 'audit event could not be built');
  }
}
