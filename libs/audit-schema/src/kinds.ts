import { Type, type Static } from 'typebox';
import { auditEvent } from './envelope.ts';

// One schema per audit event kind. To add a kind, define it here, add it to AUDIT_EVENT_SCHEMAS,
// and bump `version` (keeping the old schema) whenever a change would reject events already queued.

const Empty = Type.Object({}, { additionalProperties: false });

export const LoginEvent = auditEvent('auth.login', 1, Type.Object({ sessionCreated: Type.Boolean() }, { additionalProperties: false }));
export const LoginRefusedEvent = auditEvent('auth.login_refused', 1, Type.Object({ stage: Type.String({ maxLength: 64 }) }, { additionalProperties: false }));
export const LogoutEvent = auditEvent('auth.logout', 1, Empty);

export const AccessDecisionEvent = auditEvent('access.decision', 1, Type.Object({
  issuer: Type.Optional(Type.String({ maxLength: 512 })),
  rateTier: Type.Optional(Type.String({ maxLength: 64 })),
  requiredScopes: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 64 })),
}, { additionalProperties: false }));

export const SessionsRevokedEvent = auditEvent('sessions.revoked', 1, Type.Object({
  targetUserId: Type.String({ minLength: 1, maxLength: 256 }),
  revokedSessions: Type.Integer({ minimum: 0 }),
  sessionId: Type.Optional(Type.String({ maxLength: 128 })),
}, { additionalProperties: false }));

export const TokensRevokedEvent = auditEvent('tokens.revoked', 1, Type.Object({
  revocationType: Type.Union([Type.Literal('jti'), Type.Literal('user'), Type.Literal('client')]),
  targetId: Type.String({ minLength: 1, maxLength: 256 }),
  until: Type.Optional(Type.String({ maxLength: 64 })),
  lifted: Type.Optional(Type.Boolean()),
}, { additionalProperties: false }));

export const AdminActionEvent = auditEvent('admin.action', 1, Type.Object({
  operation: Type.String({ minLength: 1, maxLength: 128 }),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
}, { additionalProperties: false }));

export const UserSuspendedEvent = auditEvent('user.suspended', 1, Type.Object({
  targetUserId: Type.String({ minLength: 1, maxLength: 256 }),
  suspensionId: Type.String({ minLength: 1, maxLength: 64 }),
  expiresAt: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
}, { additionalProperties: false }));

export const UserSuspensionLiftedEvent = auditEvent('user.suspension_lifted', 1, Type.Object({
  targetUserId: Type.String({ minLength: 1, maxLength: 256 }),
  suspensionId: Type.String({ minLength: 1, maxLength: 64 }),
}, { additionalProperties: false }));

export const UserSuspensionExpiredEvent = auditEvent('user.suspension_expired', 1, Type.Object({
  targetUserId: Type.String({ minLength: 1, maxLength: 256 }),
  suspensionId: Type.String({ minLength: 1, maxLength: 64 }),
}, { additionalProperties: false }));

export const AUDIT_EVENT_SCHEMAS = {
  'auth.login': LoginEvent,
  'auth.login_refused': LoginRefusedEvent,
  'auth.logout': LogoutEvent,
  'access.decision': AccessDecisionEvent,
  'sessions.revoked': SessionsRevokedEvent,
  'tokens.revoked': TokensRevokedEvent,
  'admin.action': AdminActionEvent,
  'user.suspended': UserSuspendedEvent,
  'user.suspension_lifted': UserSuspensionLiftedEvent,
  'user.suspension_expired': UserSuspensionExpiredEvent,
} as const;

export type AuditEventKind = keyof typeof AUDIT_EVENT_SCHEMAS;
export type AuditEventOf<K extends AuditEventKind> = Static<(typeof AUDIT_EVENT_SCHEMAS)[K]>;
export type AuditEvent = { [K in AuditEventKind]: AuditEventOf<K> }[AuditEventKind];
