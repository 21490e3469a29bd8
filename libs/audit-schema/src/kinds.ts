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

// M2M client registry changes. The event's principal is the client concerned and its actor the
// administrator who made the change, so a client's own history lists them next to its requests.
// Contexts never carry secrets: a rotation names the secret ids only.

const ClientId = Type.String({ minLength: 1, maxLength: 256 });
const SecretId = Type.String({ minLength: 1, maxLength: 64 });

export const ClientRegisteredEvent = auditEvent('client.registered', 1, Type.Object({
  clientId: ClientId,
  name: Type.String({ maxLength: 256 }),
  owner: Type.String({ maxLength: 256 }),
  allowedScopes: Type.Array(Type.String({ maxLength: 256 }), { maxItems: 128 }),
  rateTier: Type.String({ maxLength: 64 }),
  tokenLifetimeSeconds: Type.Integer({ minimum: 1 }),
  secretId: SecretId,
}, { additionalProperties: false }));

export const ClientUpdatedEvent = auditEvent('client.updated', 1, Type.Object({
  clientId: ClientId,
  /** Names of the fields that changed, with their values before and after. */
  changes: Type.Record(Type.String({ maxLength: 64 }), Type.Object({ from: Type.Unknown(), to: Type.Unknown() }, { additionalProperties: false })),
}, { additionalProperties: false }));

export const ClientSecretRotatedEvent = auditEvent('client.secret_rotated', 1, Type.Object({
  clientId: ClientId,
  secretId: SecretId,
  /** Secrets that stay valid until their expiry, so callers can switch over. */
  previousSecretIds: Type.Array(SecretId, { maxItems: 8 }),
  previousSecretsExpireAt: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
  /** Secrets revoked at once because a client keeps at most two valid secrets. */
  revokedSecretIds: Type.Array(SecretId, { maxItems: 8 }),
}, { additionalProperties: false }));

export const ClientSecretRevokedEvent = auditEvent('client.secret_revoked', 1, Type.Object({
  clientId: ClientId,
  secretId: SecretId,
}, { additionalProperties: false }));

export const ClientDisabledEvent = auditEvent('client.disabled', 1, Type.Object({ clientId: ClientId }, { additionalProperties: false }));
export const ClientEnabledEvent = auditEvent('client.enabled', 1, Type.Object({ clientId: ClientId }, { additionalProperties: false }));
export const ClientDeletedEvent = auditEvent('client.deleted', 1, Type.Object({ clientId: ClientId }, { additionalProperties: false }));

export const ClientSuspendedEvent = auditEvent('client.suspended', 1, Type.Object({
  clientId: ClientId,
  suspensionId: Type.String({ minLength: 1, maxLength: 64 }),
  expiresAt: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
}, { additionalProperties: false }));

export const ClientSuspensionLiftedEvent = auditEvent('client.suspension_lifted', 1, Type.Object({
  clientId: ClientId,
  suspensionId: Type.String({ minLength: 1, maxLength: 64 }),
}, { additionalProperties: false }));

export const ClientSuspensionExpiredEvent = auditEvent('client.suspension_expired', 1, Type.Object({
  clientId: ClientId,
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
  'client.registered': ClientRegisteredEvent,
  'client.updated': ClientUpdatedEvent,
  'client.secret_rotated': ClientSecretRotatedEvent,
  'client.secret_revoked': ClientSecretRevokedEvent,
  'client.disabled': ClientDisabledEvent,
  'client.enabled': ClientEnabledEvent,
  'client.deleted': ClientDeletedEvent,
  'client.suspended': ClientSuspendedEvent,
  'client.suspension_lifted': ClientSuspensionLiftedEvent,
  'client.suspension_expired': ClientSuspensionExpiredEvent,
} as const;

export type AuditEventKind = keyof typeof AUDIT_EVENT_SCHEMAS;
export type AuditEventOf<K extends AuditEventKind> = Static<(typeof AUDIT_EVENT_SCHEMAS)[K]>;
export type AuditEvent = { [K in AuditEventKind]: AuditEventOf<K> }[AuditEventKind];
