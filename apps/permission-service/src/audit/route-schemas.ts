import { Type } from 'typebox';

// TypeBox schemas of the audit routes. Responses are serialized through them, so a field missing
// here never leaves the service.

export const PrincipalTypeSchema = Type.Union([Type.Literal('user'), Type.Literal('m2m'), Type.Literal('system')]);

export const ProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String(),
  detail: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
}, { additionalProperties: true });

export const ERROR_RESPONSES = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 503: ProblemSchema };

export const WindowQuery = {
  from: Type.String({ format: 'date-time', description: 'Start of the time window, inclusive (ISO 8601).' }),
  to: Type.String({ format: 'date-time', description: 'End of the time window, exclusive (ISO 8601).' }),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Items per page.' }),
  cursor: Type.Optional(Type.String({ maxLength: 1024, description: 'nextCursor of the previous page, with the same filters and window.' })),
};

export const Identifier = Type.String({ minLength: 1, maxLength: 256 });

export const ResourcePrincipalSchema = Type.Object({
  principalType: PrincipalTypeSchema,
  principalId: Type.String(),
  events: Type.Integer(),
  allowed: Type.Integer(),
  denied: Type.Integer(),
  firstAccessAt: Type.String(),
  lastAccessAt: Type.String(),
});

const PrincipalSchema = Type.Object({ type: PrincipalTypeSchema, id: Type.String() });

export const AuditEventSchema = Type.Object({
  eventId: Type.String(),
  kind: Type.String(),
  version: Type.Integer(),
  occurredAt: Type.String(),
  producer: Type.String(),
  principal: PrincipalSchema,
  actor: Type.Union([PrincipalSchema, Type.Null()]),
  action: Type.String(),
  resource: Type.Union([Type.Object({ type: Type.String(), id: Type.String() }), Type.Null()]),
  http: Type.Union([Type.Object({ method: Type.String(), path: Type.String(), status: Type.Union([Type.Integer(), Type.Null()]) }), Type.Null()]),
  decision: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  requestId: Type.Union([Type.String(), Type.Null()]),
  traceId: Type.Union([Type.String(), Type.Null()]),
  clientIp: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  scopes: Type.Union([Type.Array(Type.String()), Type.Null()]),
  context: Type.Record(Type.String(), Type.Unknown()),
});

export const EventPageSchema = Type.Object({ items: Type.Array(AuditEventSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const UsageSchema = Type.Object({
  clientId: Type.String(),
  totalRequests: Type.Integer(),
  hours: Type.Array(Type.Object({ hour: Type.String(), requests: Type.Integer(), denied: Type.Integer() })),
  endpoints: Type.Array(Type.Object({ method: Type.String(), endpoint: Type.String(), requests: Type.Integer(), denied: Type.Integer(), lastRequestAt: Type.String() })),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const DeadLetterPageSchema = Type.Object({
  total: Type.Integer({ description: 'Events parked in the dead-letter queue.' }),
  items: Type.Array(Type.Object({
    id: Type.String(),
    reason: Type.String(),
    producer: Type.String(),
    sourceJobId: Type.String(),
    index: Type.Union([Type.Integer(), Type.Null()]),
    parkedAt: Type.String(),
    event: Type.Unknown(),
  })),
});
