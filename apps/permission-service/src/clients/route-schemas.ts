import { Type } from 'typebox';
import { NullableTimestamp, Timestamp } from '../http/schemas.ts';

// TypeBox schemas of the client registry routes. Responses are serialized through them, so a
// secret appears only in the two responses that declare it (registration and rotation).

const Scope = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:/-]+$' });

export const ClientStatusSchema = Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('disabled'), Type.Literal('deleted')]);

const ProfileFields = {
  name: Type.String({ minLength: 1, maxLength: 256 }),
  owner: Type.String({ minLength: 1, maxLength: 256, description: 'Team or person responsible for the client.' }),
  description: Type.String({ maxLength: 2048 }),
  allowedScopes: Type.Array(Scope, { maxItems: 64, description: 'Scopes the client may request. A scope that names a platform permission requires holding it.' }),
  rateTier: Type.String({ minLength: 1, maxLength: 64 }),
  tokenLifetimeSeconds: Type.Integer({ minimum: 60, maximum: 86_400 }),
};

export const RegisterBody = Type.Object({
  name: ProfileFields.name,
  owner: ProfileFields.owner,
  description: Type.Optional(ProfileFields.description),
  allowedScopes: Type.Optional(ProfileFields.allowedScopes),
  rateTier: Type.Optional(ProfileFields.rateTier),
  tokenLifetimeSeconds: Type.Optional(ProfileFields.tokenLifetimeSeconds),
}, { additionalProperties: false });

export const UpdateBody = Type.Object({
  name: Type.Optional(ProfileFields.name),
  owner: Type.Optional(ProfileFields.owner),
  description: Type.Optional(ProfileFields.description),
  allowedScopes: Type.Optional(ProfileFields.allowedScopes),
  rateTier: Type.Optional(ProfileFields.rateTier),
  tokenLifetimeSeconds: Type.Optional(ProfileFields.tokenLifetimeSeconds),
}, { additionalProperties: false, minProperties: 1 });

export const SuspensionSchema = Type.Object({
  id: Type.String(),
  suspendedAt: Timestamp,
  suspendedBy: Type.String(),
  expiresAt: NullableTimestamp,
  reason: Type.String(),
  endedAt: NullableTimestamp,
  endReason: Type.Union([Type.Literal('lifted'), Type.Literal('superseded'), Type.Null()]),
  endedBy: Type.Union([Type.String(), Type.Null()]),
});

export const ClientSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  owner: Type.String(),
  description: Type.String(),
  allowedScopes: Type.Array(Type.String()),
  rateTier: Type.String(),
  tokenLifetimeSeconds: Type.Integer(),
  status: ClientStatusSchema,
  createdAt: Timestamp,
  createdBy: Type.String(),
  updatedAt: Timestamp,
  disabledAt: NullableTimestamp,
  disabledBy: Type.Union([Type.String(), Type.Null()]),
  deletedAt: NullableTimestamp,
  deletedBy: Type.Union([Type.String(), Type.Null()]),
  suspension: Type.Union([SuspensionSchema, Type.Null()]),
  secrets: Type.Array(Type.Object({
    id: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
    createdAt: Timestamp,
    createdBy: Type.String(),
    expiresAt: NullableTimestamp,
    revokedAt: NullableTimestamp,
  })),
});

export const RegistrationSchema = Type.Object({
  client: ClientSchema,
  secret: Type.Object({
    id: Type.String(),
    value: Type.String({ description: 'The client secret. It is shown only in this response; store it now.' }),
  }),
});

export const RotationSchema = Type.Object({
  secretId: Type.String(),
  secret: Type.String({ description: 'The new client secret. It is shown only in this response; store it now.' }),
  previousSecretIds: Type.Array(Type.String(), { description: 'Secrets that stay valid until previousSecretsExpireAt.' }),
  previousSecretsExpireAt: NullableTimestamp,
  revokedSecretIds: Type.Array(Type.String(), { description: 'Secrets revoked by this rotation.' }),
});

export const SuspendBody = Type.Object({
  reason: Type.String({ minLength: 1, maxLength: 512 }),
  expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'End of the suspension (RFC 3339 with a time zone).' })),
  durationSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 * 366 * 24 * 3600, description: 'Length of the suspension from now.' })),
}, { additionalProperties: false, description: 'Without expiresAt and durationSeconds the suspension is open-ended until lifted.' });
