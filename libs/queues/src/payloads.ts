import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';

const Id = Type.String({ minLength: 1, maxLength: 256 });
const EpochMs = Type.Integer({ minimum: 0 });
const Meta = Type.Object({
  eventId: Type.String({ minLength: 1, maxLength: 64 }),
  producer: Type.String({ minLength: 1, maxLength: 64 }),
  requestId: Type.Optional(Type.String({ maxLength: 128 })),
  traceparent: Type.Optional(Type.String({ maxLength: 128 })),
  createdAt: EpochMs,
});

/**
 * "Reject tokens" for token-validation. For `user` and `client`, tokens issued at or before
 * `notBefore` are rejected; `until`, when present, rejects every token of the principal until that
 * time (suspensions). `lift` ends a suspension or removes the entry, depending on `scope`.
 */
export const TokenRevocationJob = Type.Object({
  meta: Meta,
  action: Type.Union([Type.Literal('revoke'), Type.Literal('lift')]),
  type: Type.Union([Type.Literal('jti'), Type.Literal('user'), Type.Literal('client')]),
  id: Id,
  notBefore: Type.Optional(EpochMs),
  until: Type.Optional(Type.Union([EpochMs, Type.Null()])),
  expiresAt: Type.Optional(EpochMs),
  reason: Type.Optional(Type.String({ maxLength: 512 })),
  /**
   * Scope of a lift. `suspension` (the default) ends an `until` or open-ended suspension and keeps
   * the cut-offs of revocations, so tokens revoked before stay rejected. `all` removes the entry.
   */
  scope: Type.Optional(Type.Union([Type.Literal('suspension'), Type.Literal('all')])),
});
export type TokenRevocationJob = Static<typeof TokenRevocationJob>;

/** "End every session of this user" for session-gateway. */
export const SessionRevocationJob = Type.Object({
  meta: Meta,
  userId: Id,
  reason: Type.Optional(Type.String({ maxLength: 512 })),
});
export type SessionRevocationJob = Static<typeof SessionRevocationJob>;

/** Audit events travel in batches; each element is validated against the audit schema on receipt. */
export const AuditBatchJob = Type.Object({
  meta: Meta,
  events: Type.Array(Type.Unknown(), { minItems: 1, maxItems: 1000 }),
});
export type AuditBatchJob = Static<typeof AuditBatchJob>;

export const tokenRevocationJobValidator = Compile(TokenRevocationJob);
export const sessionRevocationJobValidator = Compile(SessionRevocationJob);
export const auditBatchJobValidator = Compile(AuditBatchJob);
