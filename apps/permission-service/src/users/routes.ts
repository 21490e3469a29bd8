import { Type } from 'typebox';
import { callerOf, requirePermission } from '../auth/require-permission.ts';
import { BEARER_SECURITY, GUARDED_ERRORS, IdParam, Problem } from '../http/schemas.ts';
import { actorOf } from '../outbox/actor.ts';
import type { RoutePlugin } from '../route-plugin.ts';
import { findUser, userNotFound } from './queries.ts';
import { decodeCursor, deleteUser, encodeCursor, findOrCreateUser, listUsers, restoreUser } from './service.ts';
import { UserView, toUserView } from './view.ts';

const Status = Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('deleted')]);

const FindOrCreateBody = Type.Object({
  subject: Type.String({ minLength: 1, maxLength: 256, description: 'Subject (`sub`) of the user at the identity provider' }),
  email: Type.Optional(Type.String({ minLength: 3, maxLength: 320, format: 'email' })),
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
}, { additionalProperties: false });

const FindOrCreateResponse = Type.Object({
  ...UserView.properties,
  suspensionExpiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'End of the current suspension, present while the user is suspended with an end' })),
  created: Type.Boolean({ description: 'True when this call created the user' }),
});

const ListQuery = Type.Object({
  status: Type.Optional(Status),
  subject: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  search: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Case-insensitive substring of email, display name or subject; matched literally' })),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
}, { additionalProperties: false });

const UserParams = Type.Object({ id: IdParam });

export const userRoutes: RoutePlugin = async (app, { context }) => {
  app.post('/v1/users/find-or-create', {
    schema: {
      tags: ['users'],
      summary: 'Find the user linked to an identity provider subject, creating it on first login',
      description: 'Used by session-gateway at login. A deleted user is returned with status `deleted`, never re-created.',
      security: BEARER_SECURITY,
      body: FindOrCreateBody,
      response: { 200: FindOrCreateResponse, 400: Problem, ...GUARDED_ERRORS },
    },
    preHandler: requirePermission('users:provision'),
  }, async (request) => {
    const { user, created } = await findOrCreateUser(context.db, request.body);
    if (created) request.log.info({ userId: user.id }, 'user created at first login');
    const view = toUserView(user);
    return {
      ...view,
      ...(view.suspension?.expiresAt ? { suspensionExpiresAt: view.suspension.expiresAt } : {}),
      created,
    };
  });

  app.get('/v1/users', {
    schema: {
      tags: ['users'],
      summary: 'List users, newest first, with keyset paging and filters',
      security: BEARER_SECURITY,
      querystring: ListQuery,
      response: { 200: Type.Object({ users: Type.Array(UserView), nextCursor: Type.Union([Type.String(), Type.Null()]) }), 400: Problem, ...GUARDED_ERRORS },
    },
    preHandler: requirePermission('users:read'),
  }, async (request) => {
    const { status, subject, search, limit, cursor } = request.query;
    const users = await listUsers(context.db, {
      limit,
      ...(status !== undefined ? { status } : {}),
      ...(subject !== undefined ? { subject } : {}),
      ...(search !== undefined ? { search } : {}),
      ...(cursor !== undefined ? { after: decodeCursor(cursor) } : {}),
    });
    const last = users.at(-1);
    return { users: users.map(toUserView), nextCursor: users.length === limit && last ? encodeCursor(last.id) : null };
  });

  app.get('/v1/users/:id', {
    schema: {
      tags: ['users'],
      summary: 'Get a user with its derived status',
      security: BEARER_SECURITY,
      params: UserParams,
      response: { 200: UserView, 404: Problem, ...GUARDED_ERRORS },
    },
    preHandler: requirePermission('users:read'),
  }, async (request) => {
    const user = await findUser(context.db, request.params.id);
    if (user === undefined) throw userNotFound();
    return toUserView(user);
  });

  app.delete('/v1/users/:id', {
    schema: {
      tags: ['users'],
      summary: 'Soft-delete a user, ending its sessions and blacklisting its tokens',
      security: BEARER_SECURITY,
      params: UserParams,
      response: { 200: UserView, 404: Problem, 409: Problem, ...GUARDED_ERRORS },
    },
    preHandler: requirePermission('users:delete'),
  }, async (request) => {
    const user = await deleteUser(context.db, request.params.id, actorOf(callerOf(request), request));
    context.relay.nudge();
    context.permissions.changed({ users: [user.id] });
    return toUserView(user);
  });

  app.post('/v1/users/:id/restore', {
    schema: {
      tags: ['users'],
      summary: 'Restore a soft-deleted user',
      security: BEARER_SECURITY,
      params: UserParams,
      response: { 200: UserView, 404: Problem, 409: Problem, ...GUARDED_ERRORS },
    },
    preHandler: requirePermission('users:delete'),
  }, async (request) => {
    const user = await restoreUser(context.db, request.params.id, actorOf(callerOf(request), request));
    context.relay.nudge();
    context.permissions.changed({ users: [user.id] });
    return toUserView(user);
  });
};

