import { randomUUID } from 'node:crypto';
import type { AuditEventOf } from '@platform/audit-schema';
import type { Identity } from '../validation/identity.ts';

export type AccessDecisionEvent = AuditEventOf<'access.decision'>;

export interface AccessDecision {
  decision: 'allow' | 'deny';
  status: 200 | 401 | 403 | 503;
  reason: string;
  identity: Identity | undefined;
  method: string | undefined;
  path: string | undefined;
  requestId: string;
  traceId: string;
  clientIp: string | undefined;
  userAgent: string | undefined;
  requiredScopes: readonly string[] | undefined;
}

export const PRODUCER = 'token-validation';

/** Principal recorded when no verified token names one. */
const ANONYMOUS = { type: 'user' as const, id: 'anonymous' };

/** Builds the `access.decision` audit event of one validation, trimmed to the schema's limits. */
export function accessDecisionEvent(decision: AccessDecision): AccessDecisionEvent {
  const { identity } = decision;
  const path = decision.path?.slice(0, 2048);
  const resource = path === undefined ? undefined : resourceOf(path);
  const context: AccessDecisionEvent['context'] = {};
  if (identity !== undefined) {
    context.issuer = identity.issuer.slice(0, 512);
    context.rateTier = identity.rateTier;
  }
  if (decision.requiredScopes !== undefined && decision.requiredScopes.length > 0) context.requiredScopes = decision.requiredScopes.slice(0, 64);

  const event: AccessDecisionEvent = {
    eventId: randomUUID(),
    kind: 'access.decision',
    version: 1,
    occurredAt: new Date().toISOString(),
    producer: PRODUCER,
    principal: identity === undefined ? ANONYMOUS : { type: identity.principalType, id: identity.principalId },
    action: 'api.access',
    decision: decision.decision,
    reason: decision.reason,
    requestId: decision.requestId.slice(0, 128),
    traceId: decision.traceId.slice(0, 64),
    context,
  };
  event.http = { method: decision.method ?? 'UNKNOWN', path: path ?? '/', status: decision.status };
  if (resource !== undefined) event.resource = resource;
  if (decision.clientIp !== undefined) event.clientIp = decision.clientIp.slice(0, 64);
  if (decision.userAgent !== undefined) event.userAgent = decision.userAgent.slice(0, 512);
  if (identity !== undefined && identity.scopes.length > 0) event.scopes = identity.scopes.slice(0, 128).map((scope) => scope.slice(0, 256));
  return event;
}

/**
 * Returns the resource an API path addresses: `/api/transactions/42` is `transactions` `42`. Collection
 * paths such as `/api/transactions` name no single resource and get none.
 */
export function resourceOf(path: string): { type: string; id: string } | undefined {
  const segments = path.split('/');
  if (segments.length < 4 || (segments[1] !== 'api' && segments[1] !== 'v1')) return undefined;
  const type = segments[2]!;
  const id = segments[3]!;
  if (type === '' || id === '' || type.length > 64 || id.length > 256) return undefined;
  return { type, id };
}
