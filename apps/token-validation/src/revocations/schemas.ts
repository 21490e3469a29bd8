import { Type } from 'typebox';

export const RevocationType = Type.Union([Type.Literal('jti'), Type.Literal('user'), Type.Literal('client')], { description: 'What the entry matches: one token by jti, every token of a user, or of an M2M client' });

// Printable characters only: ids go on to Redis keys, audit rows and log lines.
const Identifier = Type.String({ minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7e\\u00a0-\\uffff]+$' });
const Timestamp = Type.String({ format: 'date-time' });

export const CreateRevocationBody = Type.Object({
  type: RevocationType,
  id: Identifier,
  reason: Type.String({ minLength: 1, maxLength: 512 }),
  until: Type.Optional(Type.Union([Timestamp, Type.Null()], {
    description: 'user and client only: reject every token of the principal until this time; null rejects them until the entry is lifted',
  })),
}, { additionalProperties: false });

export const Revocation = Type.Object({
  type: RevocationType,
  id: Type.String(),
  reason: Type.Optional(Type.String()),
  revokedAt: Timestamp,
  notBefore: Type.Optional(Type.String({ format: 'date-time', description: 'tokens issued at or before this time (to the second) are rejected' })),
  until: Type.Optional(Type.Union([Timestamp, Type.Null()], { description: 'every token is rejected until this time; null: until lifted' })),
  expiresAt: Type.Union([Timestamp, Type.Null()], { description: 'when the entry is dropped because no token it matches can still be valid; null: never' }),
});

export const RevocationList = Type.Object({
  items: Type.Array(Revocation),
  nextCursor: Type.Optional(Type.String({ description: 'pass as cursor to read the next page' })),
});

export const ListQuery = Type.Object({
  type: Type.Optional(RevocationType),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
}, { additionalProperties: false });

export const LiftParams = Type.Object({ type: RevocationType, id: Identifier });

export const LiftResult = Type.Object({ type: RevocationType, id: Type.String(), lifted: Type.Literal(true) });

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String(),
  detail: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
});
