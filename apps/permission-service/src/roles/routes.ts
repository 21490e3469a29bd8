import { Type } from 'typebox';
import { callerOf, requirePermission } from '../auth/require-permission.ts';
import { BEARER_SECURITY, GUARDED_ERRORS, IdParam, NullableTimestamp, Problem, Timestamp } from '../http/schemas.ts';
import { actorOf } from '../outbox/actor.ts';
import type { RoutePlugin } from '../route-plugin.ts';
import { findUser, userNotFound } from '../users/queries.ts';
import { assignRole, listAssignments, revokeRole } from './assignments.ts';
import { directPermissions, findLiveRole, listLiveRoles, roleNotFound, rolePermissionsWithInheritance, type RoleRecord } from './queries.ts';
import { createRole, deleteRole, updateRole } from './service.ts';

const PermissionName = Type.String({ pattern: '^[a-z][a-z0-9_-]{0,62}:[a-z][a-z0-9_-]{0,62}$', description: '`resource:action`' });
const RoleName = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' });

const RoleView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  parentRoleId: Type.Union([Type.String(), Type.Null()]),
  grantable: Type.Boolean(),
  builtIn: Type.Boolean(),
  /** Permissions granted to this role itself. */
  permissions: Type.Array(Type.String()),
  /** Permissions the role carries, inherited ones included. */
  effectivePermissions: Type.Array(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const AssignmentView = Type.Object({
  id: Type.String(),
  roleId: Type.String(),
  roleName: Type.String(),
  grantedAt: Timestamp,
  grantedBy: Type.String(),
  expiresAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
  revokedBy: Type.Union([Type.String(), Type.Null()]),
  active: Type.Boolean(),
});

const RoleParams = Type.Object({ id: IdParam });
const UserParams = Type.Object({ id: IdParam });

export const roleRoutes: RoutePlugin = async (app, { context }) => {
  const { db } = context;

  async function roleView(role: RoleRecord) {
    const direct = (await directPermissions(db, [role.id])).get(role.id) ?? [];
    return {
      id: role.id,
      name: role.name,
      description: role.description,
      parentRoleId: role.parent_role_id,
      grantable: role.grantable,
      builtIn: role.built_in,
      permissions: direct,
      effectivePermissions: await rolePermissionsWithInheritance(db, role.id),
      createdAt: role.created_at.toISOString(),
      updatedAt: role.updated_at.toISOString(),
    };
  }

  async function liveRoleView(id: string) {
    const role = await findLiveRole(db, id);
    if (role === undefined) throw roleNotFound();
    return roleView(role);
  }

  app.get('/v1/roles', {
    schema: { tags: ['roles'], summary: 'List roles', security: BEARER_SECURITY, response: { 200: Type.Object({ roles: Type.Array(RoleView) }), ...GUARDED_ERRORS } },
    preHandler: requirePermission('roles:manage'),
  }, async () => {
    const roles = await listLiveRoles(db);
    const views = [];
    for (const role of roles) views.push(await roleView(role));
    return { roles: views };
  });

  app.get('/v1/roles/:id', {
    schema: { tags: ['roles'], summary: 'Get a role with its direct and inherited permissions', security: BEARER_SECURITY, params: RoleParams, response: { 200: RoleView, 404: Problem, ...GUARDED_ERRORS } },
    preHandler: requirePermission('roles:manage'),
  }, async (request) => liveRoleView(request.params.id));

  app.post('/v1/roles', {
    schema: {
      tags: ['roles'],
      summary: 'Create a role; the caller must hold every permission it carries',
      security: BEARER_SECURITY,
      body: Type.Object({
        name: RoleName,
        description: Type.Optional(Type.String({ maxLength: 512 })),
        parentRoleId: Type.Optional(Type.Union([IdParam, Type.Null()])),
        permissions: Type.Array(PermissionName, { maxItems: 200, default: [] }),
      }, { additionalProperties: false }),
      response: { 201: RoleView, 400: Problem, 409: Problem, ...GUARDED_ERRORS },
    },
    preHandler: requirePermission('roles:manage'),
  }, async (request, reply) => {
    const caller = callerOf(request);
    const id = await createRole(db, request.body, caller.permissions, actorOf(caller, request));
    context.relay.nudge();
    return reply.code(201).send(await liveRoleView(id));
  });

  app.patch('/v1/roles/:id', {
    schema: {
      tags: ['roles'],
      summary: 'Change a role; the caller must hold every permission it carries afterwards',
      security: BEARER_SECURITY,
      params: RoleParams,
      body: Type.Object({
        name: Type.Optional(RoleName),
        description: Type.Optional(Type.Union([Type.String({ maxLength: 512 }), Type.Null()])),
        parentRoleId: Type.Optional(Type.Union([IdParam, Type.Null()])),
        permissions: Type.Optional(Type.Array(PermissionName, { maxItems: 200 })),
      }, { additionalProperties: false, minProperties: 1 }),
      response: { 200: RoleView, 400: Problem, 404: Problem, 409: Problem, ...GUARDED_ERRORS },
    },
    preHandler: requirePermission('roles:manage'),
  }, async (request) => {
    const caller = callerOf(request);
    await updateRole(db, request.params.id, request.body, caller.permissions, actorOf(caller, request));
    context.relay.nudge();
    context.permissions.changed({ all: true });
    return liveRoleView(request.params.id);
  });

  app.delete('/v1/roles/:id', {
    schema: {
      tags: ['roles'],
      summary: 'Delete a role (soft) and revoke its assignments',
      security: BEARER_SECURITY,
      params: RoleParams,
      response: { 204: Type.Null(), 404: Problem, 409: Problem, ...GUARDED_ERRORS },
    },
    preHandler: requirePermission('roles:manage'),
  }, async (request, reply) => {
    const caller = callerOf(request);
    await deleteRole(db, request.params.id, caller.permissions, actorOf(caller, request));
    context.relay.nudge();
    context.permissions.changed({ all: true });
    return reply.code(204).send(null);
  });

  app.get('/v1/users/:id/roles', {
    schema: {
      tags: ['roles'],
      summary: "A user's role assignments",
      security: BEARER_SECURITY,
      params: UserParams,
      querystring: Type.Object({ history: Type.Boolean({ default: false, description: 'Include revoked and expired assignments' }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ assignments: Type.Array(AssignmentView) }), 404: Problem, ...GUARDED_ERRORS },
    },
    preHandler: requirePermission('users:read'),
  }, async (request) => {
    const user = await findUser(db, request.params.id);
    if (user === undefined) throw userNotFound();
    const rows = await listAssignments(db, user.id, request.query.history);
    return {
      assignments: rows.map((row) => ({
        id: row.id,
        roleId: row.role_id,
        roleName: row.role_name,
        grantedAt: row.granted_at.toISOString(),
        grantedBy: row.granted_by,
        expiresAt: row.expires_at?.toISOString() ?? null,
        revokedAt: row.revoked_at?.toISOString() ?? null,
        revokedBy: row.revoked_by,
        active: row.active,
      })),
    };
  });

  app.post('/v1/users/:id/roles', {
    schema: {
      tags: ['roles'],
      summary: 'Assign a role to a user under the grant policy',
      security: BEARER_SECURITY,
      params: UserParams,
      body: Type.Object({ roleId: IdParam, expiresAt: Type.Optional(Type.String({ format: 'date-time' })) }, { additionalProperties: false }),
      response: { 201: Type.Object({ assignmentId: Type.String() }), 400: Problem, 404: Problem, 409: Problem, ...GUARDED_ERRORS },
    },
    preHandler: requirePermission('roles:manage'),
  }, async (request, reply) => {
    const caller = callerOf(request);
    const { roleId, expiresAt } = request.body;
    const assignmentId = await assignRole(db, request.params.id, roleId, expiresAt === undefined ? undefined : new Date(expiresAt), caller.permissions, actorOf(caller, request));
    context.relay.nudge();
    context.permissions.changed({ users: [request.params.id] });
    return reply.code(201).send({ assignmentId });
  });

  app.delete('/v1/users/:id/roles/:roleId', {
    schema: {
      tags: ['roles'],
      summary: "Revoke a user's role",
      security: BEARER_SECURITY,
      params: Type.Object({ id: IdParam, roleId: IdParam }),
      response: { 204: Type.Null(), 403: Problem, 404: Problem, 401: Problem },
    },
    preHandler: requirePermission('roles:manage'),
  }, async (request, reply) => {
    await revokeRole(db, request.params.id, request.params.roleId, actorOf(callerOf(request), request));
    context.relay.nudge();
    context.permissions.changed({ users: [request.params.id] });
    return reply.code(204).send(null);
  });
};
