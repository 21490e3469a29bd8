import { Type, type Static, type TSchema } from 'typebox';

// Fields shared by every audit event. Each kind narrows `kind`, `version` and `context`; the
// envelope stays the same so the trail can be queried uniformly across kinds and principals.

export const PrincipalType = Type.Union([Type.Literal('user'), Type.Literal('m2m'), Type.Literal('system')]);
export type PrincipalType = Static<typeof PrincipalType>;

export const Decision = Type.Union([Type.Literal('allow'), Type.Literal('deny'), Type.Literal('success'), Type.Literal('failure')]);
export type Decision = Static<typeof Decision>;

const Identifier = Type.String({ minLength: 1, maxLength: 256 });
const ShortText = Type.String({ maxLength: 512 });

export const EVENT_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const IsoTimestamp = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?Z$' });

export const Principal = Type.Object({ type: PrincipalType, id: Identifier }, { additionalProperties: false });
export type Principal = Static<typeof Principal>;

export const Resource = Type.Object({ type: Type.String({ minLength: 1, maxLength: 64 }), id: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false });

export const HttpDetails = Type.Object({
  method: Type.String({ minLength: 1, maxLength: 16 }),
  path: Type.String({ minLength: 1, maxLength: 2048 }),
  status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
}, { additionalProperties: false });

export function auditEvent<Kind extends string, Context extends TSchema>(kind: Kind, version: number, context: Context) {
  return Type.Object({
    eventId: Type.String({ pattern: EVENT_ID_PATTERN }),
    kind: Type.Literal(kind),
    version: Type.Literal(version),
    occurredAt: IsoTimestamp,
    producer: Type.String({ minLength: 1, maxLength: 64 }),
    principal: Principal,
    actor: Type.Optional(Principal),
    action: Type.String({ minLength: 1, maxLength: 128 }),
    resource: Type.Optional(Resource),
    http: Type.Optional(HttpDetails),
    decision: Decision,
    reason: Type.Optional(ShortText),
    requestId: Type.Optional(Type.String({ maxLength: 128 })),
    traceId: Type.Optional(Type.String({ maxLength: 64 })),
    clientIp: Type.Optional(Type.String({ maxLength: 64 })),
    userAgent: Type.Optional(Type.String({ maxLength: 512 })),
    scopes: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 128 })),
    context: context,
  }, { additionalProperties: false });
}
