import { Type } from 'typebox';
import type { Queue } from 'bullmq';
import { HttpProblem } from '@platform/service-kit';
import { QUEUE_NAMES } from '@platform/queues';
import { AUDIT_EVENT_SCHEMAS, type AuditEventKind } from '@platform/audit-schema';
import { requirePermission } from '../auth/require-permission.ts';
import type { RoutePlugin } from '../route-plugin.ts';
import { listDeadLetters, type AuditDeadLetter } from './dead-letters.ts';
import { listEvents } from './queries/events.ts';
import { m2mUsage } from './queries/m2m-usage.ts';
import { principalEvents } from './queries/principal-events.ts';
import { resourcePrincipals } from './queries/resource-principals.ts';
import { parseTimeWindow } from './queries/window.ts';
import {
  DeadLetterPageSchema,
  ERROR_RESPONSES,
  EventPageSchema,
  Identifier,
  PrincipalTypeSchema,
  ResourcePrincipalSchema,
  UsageSchema,
  WindowQuery,
} from './route-schemas.ts';

const AUDIT_EVENT_KINDS = Object.keys(AUDIT_EVENT_SCHEMAS) as AuditEventKind[];

const READ_PERMISSION = 'audit:read';
const security = [{ bearer: [] }];

/** Routes of the audit trail; every one requires the permission audit:read. */
// NOTE: reads of the trail are logged per request but not recorded as audit events themselves.
export const auditRoutes: RoutePlugin = async (app, { context }) => {
  const maxDays = context.config.AUDIT_QUERY_MAX_WINDOW_DAYS;
  const guard = requirePermission(READ_PERMISSION);

  app.get('/v1/audit/resources/:type/:id/principals', {
    preHandler: guard,
    schema: {
      tags: ['audit'],
      summary: 'Who accessed a resource: users and M2M clients with counts and last access, most recent first',
      security,
      params: Type.Object({ type: Type.String({ minLength: 1, maxLength: 64 }), id: Identifier }),
      querystring: Type.Object(WindowQuery),
      response: { 200: Type.Object({ items: Type.Array(ResourcePrincipalSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...ERROR_RESPONSES },
    },
  }, async (request) => {
    const window = parseTimeWindow(request.query.from, request.query.to, maxDays);
    return resourcePrincipals(context.db, {
      resourceType: request.params.type,
      resourceId: request.params.id,
      window,
      limit: request.query.limit,
      ...(request.query.cursor === undefined ? {} : { cursor: request.query.cursor }),
    });
  });

  app.get('/v1/audit/principals/:type/:id/events', {
    preHandler: guard,
    schema: {
      tags: ['audit'],
      summary: 'What a principal did: its events and the admin actions it performed, newest first',
      security,
      params: Type.Object({ type: PrincipalTypeSchema, id: Identifier }),
      querystring: Type.Object(WindowQuery),
      response: { 200: EventPageSchema, ...ERROR_RESPONSES },
    },
  }, async (request) => {
    const window = parseTimeWindow(request.query.from, request.query.to, maxDays);
    return principalEvents(context.db, {
      principalType: request.params.type,
      principalId: request.params.id,
      window,
      limit: request.query.limit,
      ...(request.query.cursor === undefined ? {} : { cursor: request.query.cursor }),
    });
  });

  app.get('/v1/audit/events', {
    preHandler: guard,
    schema: {
      tags: ['audit'],
      summary: 'The audit trail in a time window, newest first, with optional filters',
      security,
      querystring: Type.Object({
        ...WindowQuery,
        decision: Type.Optional(Type.Union([Type.Literal('allow'), Type.Literal('deny'), Type.Literal('success'), Type.Literal('failure')])),
        action: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
        // Ingestion stores only kinds the audit schema library defines, so any other kind is a mistake.
        kind: Type.Optional(Type.Union(AUDIT_EVENT_KINDS.map((kind) => Type.Literal(kind)))),
        principalType: Type.Optional(PrincipalTypeSchema),
        resourceType: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      }),
      response: { 200: EventPageSchema, ...ERROR_RESPONSES },
    },
  }, async (request) => {
    const { from, to, limit, cursor, ...filters } = request.query;
    const window = parseTimeWindow(from, to, maxDays);
    return listEvents(context.db, { window, limit, ...(cursor === undefined ? {} : { cursor }), ...filters });
  });

  app.get('/v1/audit/principals/m2m/:clientId/usage', {
    preHandler: guard,
    schema: {
      tags: ['audit'],
      summary: 'Requests of an M2M client per hour and per endpoint',
      security,
      params: Type.Object({ clientId: Identifier }),
      querystring: Type.Object(WindowQuery),
      response: { 200: UsageSchema, ...ERROR_RESPONSES },
    },
  }, async (request) => {
    const window = parseTimeWindow(request.query.from, request.query.to, maxDays);
    return m2mUsage(context.db, {
      clientId: request.params.clientId,
      window,
      limit: request.query.limit,
      ...(request.query.cursor === undefined ? {} : { cursor: request.query.cursor }),
    });
  });

  const deadLetters = context.queues.get(QUEUE_NAMES.auditDeadLetters) as Queue<AuditDeadLetter>;
  app.get('/v1/audit/dead-letters', {
    preHandler: guard,
    schema: {
      tags: ['audit'],
      summary: 'Audit events that failed validation or storage, oldest first, with the reason',
      security,
      querystring: Type.Object({
        offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
        limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
      }),
      response: { 200: DeadLetterPageSchema, ...ERROR_RESPONSES },
    },
  }, async (request) => {
    try {
      return await listDeadLetters(deadLetters, request.query.offset, request.query.limit);
    } catch (error) {
      request.log.error({ err: error, code: 'dead_letters_unavailable' }, 'dead-letter queue could not be read');
      throw new HttpProblem(503, 'dead_letters_unavailable', 'The dead-letter queue could not be read because Redis is unreachable; retry shortly.');
    }
  });
};
