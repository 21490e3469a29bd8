import { Type } from 'typebox';
import { callerOf, requirePermission } from '../auth/require-permission.ts';
import { BEARER_SECURITY, GUARDED_ERRORS, IdParam, Problem } from '../http/schemas.ts';
import { actorOf } from '../outbox/actor.ts';
import type { RoutePlugin } from '../route-plugin.ts';
import { findUser, userNotFound } from '../users/queries.ts';
import { UserView, toUserView } from '../users/view.ts';
import { liftSuspension, listSuspensions, suspendUser } from './service.ts';
import { SuspensionView, toSuspensionView } from './view.ts';

/** Maximum suspension given as a duration: ten years. */
const MAX_DURATION_SECONDS = 10 * 366 * 24 * 3600;

const SuspendBody = Type.Object({
  reason: Type.String({ minLength: 1, maxLength: 512 }),
  expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'End of the suspension (RFC 3339 with a time zone)' })),
  durationSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DURATION_SECONDS, description: 'Length of the suspension from now' })),
}, { additionalProperties: false, description: 'Without expiresAt and durationSeconds the suspension is open-ended until lifted.' });

const SuspensionResponse = Type.Object({ user: UserView, suspension: SuspensionView });
const UserParams = Type.Object({ id: IdParam });

export const suspensionRoutes: RoutePlugin = async (app, { context }) => {
  app.post('/v1/users/:id/suspension', {
    schema: {
      tags: ['suspensions'],
      summary: 'Suspend a user: ends its sessions and blocks its tokens until the suspension ends',
      description: 'Replaces a running suspension. The fan-out to session-gateway, token-validation and the audit trail is stored in the same transaction and relayed to BullMQ.',
      security: BEARER_SECURITY,
      params: UserParams,
      body: SuspendBody,
      response: { 201: SuspensionResponse, 400: Problem, 404: Problem, 409: Problem, ...GUARDED_ERRORS },
    },
    preHandler: requirePermission('users:suspend'),
  }, async (request, reply) => {
    const { reason, expiresAt, durationSeconds } = request.body;
    const result = await suspendUser(context.db, {
      userId: request.params.id,
      reason,
      ...(expiresAt !== undefined ? { expiresAt: new Date(expiresAt) } : {}),
      ...(durationSeconds !== undefined ? { durationSeconds } : {}),
      actor: actorOf(callerOf(request), request),
    });
    context.relay.nudge();
    context.permissions.changed({ users: [result.user.id] });
    request.log.info({ userId: result.user.id, suspensionId: result.suspension.id, expiresAt: result.suspension.expires_at }, 'user suspended');
    return reply.code(201).send({ user: toUserView(result.user), suspension: toSuspensionView(result.suspension, result.at) });
  });

  app.delete('/v1/users/:id/suspension', {
    schema: {
      tags: ['suspensions'],
      summary: 'Lift the current suspension of a user',
      security: BEARER_SECURITY,
      params: UserParams,
      response: { 200: SuspensionResponse, 404: Problem, 409: Problem, ...GUARDED_ERRORS },
    },
    preHandler: requirePermission('users:suspend'),
  }, async (request) => {
    const result = await liftSuspension(context.db, request.params.id, actorOf(callerOf(request), request));
    context.relay.nudge();
    context.permissions.changed({ users: [result.user.id] });
    request.log.info({ userId: result.user.id, suspensionId: result.suspension.id }, 'suspension lifted');
    return { user: toUserView(result.user), suspension: toSuspensionView(result.suspension, result.at) };
  });

  app.get('/v1/users/:id/suspensions', {
    schema: {
      tags: ['suspensions'],
      summary: 'Suspension history of a user, newest first',
      security: BEARER_SECURITY,
      params: UserParams,
      querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ suspensions: Type.Array(SuspensionView) }), 404: Problem, ...GUARDED_ERRORS },
    },
    preHandler: requirePermission('users:read'),
  }, async (request) => {
    const user = await findUser(context.db, request.params.id);
    if (user === undefined) throw userNotFound();
    const page = await listSuspensions(context.db, user.id, request.query.limit);
    return { suspensions: page.suspensions.map((row) => toSuspensionView(row, page.now)) };
  });
};
