import { Type } from 'typebox';
import { callerOf, requireAuthentication, requirePermission } from '../auth/require-permission.ts';
import { BEARER_SECURITY, GUARDED_ERRORS, IdParam, NullableTimestamp, Problem, Timestamp } from '../http/schemas.ts';
import type { RoutePlugin } from '../route-plugin.ts';
import { findUser, userNotFound } from '../users/queries.ts';
import { effectivePermissions, type EffectivePermissions } from './effective.ts';
import { resourceGrantsOf, type ResourceGrant } from './resource-grants.ts';

const EffectivePermissionView = Type.Object({
  permission: Type.String(),
  viaRoles: Type.Array(Type.String()),
  expiresAt: NullableTimestamp,
});

const ResourceGrantView = Type.Object({
  resourceType: Type.String(),
  resourceId: Type.String(),
  permission: Type.String(),
  expiresAt: NullableTimestamp,
});

const UserPermissionsView = Type.Object({
  userId: Type.String(),
  evaluatedAt: Timestamp,
  permissions: Type.Array(EffectivePermissionView),
  resourceGrants: Type.Array(ResourceGrantView),
});

const MyPermissionsView = Type.Object({
  principal: Type.Object({ type: Type.Union([Type.Literal('user'), Type.Literal('m2m')]), id: Type.String() }),
  userId: Type.Union([Type.String(), Type.Null()]),
  /** Everything the caller may do here: token permissions and role permissions together. */
  permissions: Type.Array(Type.String()),
  tokenPermissions: Type.Array(Type.String()),
  rolePermissions: Type.Array(EffectivePermissionView),
  resourceGrants: Type.Array(ResourceGrantView),
});

function permissionViews(effective: EffectivePermissions) {
  return effective.permissions.map((item) => ({ permission: item.permission, viaRoles: item.viaRoles, expiresAt: item.expiresAt?.toISOString() ?? null }));
}

function grantViews(grants: ResourceGrant[]) {
  return grants.map((grant) => ({ ...grant, expiresAt: grant.expiresAt?.toISOString() ?? null }));
}

export const permissionRoutes: RoutePlugin = async (app, { context }) => {
  app.get('/v1/users/me/permissions', {
    schema: {
      tags: ['permissions'],
      summary: "The caller's effective permissions: from its token and from its roles",
      description: 'Used by session-gateway to resolve an administrator token from roles. Suspended and deleted users are rejected with 403.',
      security: BEARER_SECURITY,
      response: { 200: MyPermissionsView, 401: Problem, 403: Problem },
    },
    preHandler: requireAuthentication(),
  }, async (request) => {
    const caller = callerOf(request);
    // Read without the cache, so the result is exact at the database's now.
    const effective = caller.userId === undefined ? undefined : await effectivePermissions(context.db, caller.userId);
    const grants = caller.userId === undefined ? [] : await resourceGrantsOf(context.db, caller.userId);
    const rolePermissions = effective === undefined ? [] : permissionViews(effective);
    return {
      principal: caller.principal,
      userId: caller.userId ?? null,
      permissions: [...new Set([...caller.tokenPermissions, ...rolePermissions.map((item) => item.permission)])].sort(),
      tokenPermissions: [...caller.tokenPermissions].sort(),
      rolePermissions,
      resourceGrants: grantViews(grants),
    };
  });

  app.get('/v1/users/:id/permissions', {
    schema: {
      tags: ['permissions'],
      summary: "A user's effective permissions through roles, inheritance and expiry",
      description: 'With `at`, the permissions the user held at that past moment.',
      security: BEARER_SECURITY,
      params: Type.Object({ id: IdParam }),
      querystring: Type.Object({ at: Type.Optional(Type.String({ format: 'date-time' })) }, { additionalProperties: false }),
      response: { 200: UserPermissionsView, 404: Problem, ...GUARDED_ERRORS },
    },
    preHandler: requirePermission('users:read'),
  }, async (request) => {
    const user = await findUser(context.db, request.params.id);
    if (user === undefined) throw userNotFound();
    const at = request.query.at === undefined ? undefined : new Date(request.query.at);
    const effective = await effectivePermissions(context.db, user.id, at);
    const grants = await resourceGrantsOf(context.db, user.id, at);
    return { userId: user.id, evaluatedAt: effective.evaluatedAt.toISOString(), permissions: permissionViews(effective), resourceGrants: grantViews(grants) };
  });
};
