import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@platform/testing';
import { permissionCacheSubscriberTask } from '../src/permissions/background.ts';
import { ALL_PERMISSIONS, createUser, startInfrastructure, startService, type TestInfrastructure, type TestService } from './support/service.ts';

let infrastructure: TestInfrastructure;
let service: TestService;
let admin: string;
/** An administrator token that also carries the application permissions of the custom roles below. */
let reportsAdmin: string;
let roleIds: Record<string, string>;

beforeAll(async () => {
  infrastructure = await startInfrastructure();
  service = await startService(infrastructure, { PERMISSION_CACHE_TTL_MS: '0' });
  admin = await infrastructure.clientToken('platform-admin-cli', ALL_PERMISSIONS);
  reportsAdmin = await infrastructure.clientToken('platform-admin-cli', [...ALL_PERMISSIONS, 'reports:read', 'reports:write', 'reports:export']);
  const roles = (await service.call('GET', '/v1/roles', { token: admin })).json().roles as { id: string; name: string }[];
  roleIds = Object.fromEntries(roles.map((role) => [role.name, role.id]));
});

afterAll(async () => {
  await service?.close();
  await infrastructure?.close();
});

const assign = (userId: string, roleId: string, token = admin, expiresAt?: string) =>
  service.call('POST', `/v1/users/${userId}/roles`, { token, body: { roleId, ...(expiresAt ? { expiresAt } : {}) } });
const permissionsOf = async (userId: string, at?: string) =>
  (await service.call('GET', `/v1/users/${userId}/permissions${at ? `?at=${encodeURIComponent(at)}` : ''}`, { token: admin })).json();

describe('seeded roles', () => {
  it('include the platform roles and a non-grantable system administrator', async () => {
    expect(Object.keys(roleIds).sort()).toEqual(['administrator', 'auditor', 'security-operator', 'system-administrator', 'user-provisioner']);
    const system = (await service.call('GET', `/v1/roles/${roleIds['system-administrator']}`, { token: admin })).json();
    expect(system.grantable).toBe(false);
    expect(system.effectivePermissions).toEqual([...ALL_PERMISSIONS].sort());
    const administrator = (await service.call('GET', `/v1/roles/${roleIds['administrator']}`, { token: admin })).json();
    expect(administrator.effectivePermissions).toEqual([...ALL_PERMISSIONS].sort());
  });
});

describe('effective permissions', () => {
  it('include permissions inherited through parent roles', async () => {
    const id = await createUser(service, admin, 'inherits-operator');
    expect((await assign(id, roleIds['security-operator']!)).statusCode).toBe(201);
    const { permissions } = await permissionsOf(id);
    expect(permissions).toEqual([
      { permission: 'audit:read', viaRoles: ['security-operator'], expiresAt: null },
      { permission: 'sessions:revoke', viaRoles: ['security-operator'], expiresAt: null },
      { permission: 'tokens:revoke', viaRoles: ['security-operator'], expiresAt: null },
      { permission: 'users:read', viaRoles: ['security-operator'], expiresAt: null },
      { permission: 'users:suspend', viaRoles: ['security-operator'], expiresAt: null },
    ]);
  });

  it('drop an assignment at its expiry', async () => {
    const id = await createUser(service, admin, 'expiring-auditor');
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    expect((await assign(id, roleIds['auditor']!, admin, expiresAt)).statusCode).toBe(201);
    const before = await permissionsOf(id);
    expect(before.permissions.map((item: { permission: string }) => item.permission)).toEqual(['audit:read', 'users:read']);
    expect(before.permissions[0].expiresAt).toBe(expiresAt);
    await waitFor(async () => (await permissionsOf(id)).permissions.length === 0, 'the assignment to expire');
  });

  it('answer for a past moment', async () => {
    const id = await createUser(service, admin, 'past-permissions');
    await assign(id, roleIds['auditor']!);
    const { evaluatedAt } = await permissionsOf(id);
    await service.call('DELETE', `/v1/users/${id}/roles/${roleIds['auditor']}`, { token: admin });
    expect((await permissionsOf(id)).permissions).toEqual([]);
    expect((await permissionsOf(id, evaluatedAt)).permissions.map((item: { permission: string }) => item.permission)).toEqual(['audit:read', 'users:read']);
    expect((await permissionsOf(id, '2000-01-01T00:00:00Z')).permissions).toEqual([]);
  });

  it('follow changes of the parent role', async () => {
    const parent = (await service.call('POST', '/v1/roles', { token: reportsAdmin, body: { name: 'temporary-parent', permissions: ['reports:read'] } })).json();
    const child = (await service.call('POST', '/v1/roles', { token: reportsAdmin, body: { name: 'temporary-child', parentRoleId: parent.id, permissions: ['reports:write'] } })).json();
    expect(child.effectivePermissions).toEqual(['reports:read', 'reports:write']);
    const id = await createUser(service, admin, 'child-role-holder');
    await assign(id, child.id, reportsAdmin);
    expect((await permissionsOf(id)).permissions.map((item: { permission: string }) => item.permission)).toEqual(['reports:read', 'reports:write']);

    expect((await service.call('DELETE', `/v1/roles/${parent.id}`, { token: reportsAdmin })).json().code).toBe('role_has_children');
    await service.call('PATCH', `/v1/roles/${child.id}`, { token: reportsAdmin, body: { parentRoleId: null } });
    expect((await permissionsOf(id)).permissions.map((item: { permission: string }) => item.permission)).toEqual(['reports:write']);
  });

  it('grant API access through database roles when the token carries none', async () => {
    const id = await createUser(service, admin, 'role-only-reader');
    const token = await infrastructure.userToken('role-only-reader', []);
    expect((await service.call('GET', '/v1/users', { token })).statusCode).toBe(403);
    await assign(id, roleIds['auditor']!);
    expect((await service.call('GET', '/v1/users', { token })).statusCode).toBe(200);

    const mine = (await service.call('GET', '/v1/users/me/permissions', { token })).json();
    expect(mine).toMatchObject({ principal: { type: 'user', id: 'role-only-reader' }, userId: id, tokenPermissions: [], permissions: ['audit:read', 'users:read'] });
  });
});

describe('grant policy', () => {
  it('refuses a role carrying permissions the caller lacks', async () => {
    const manager = await infrastructure.clientToken('limited-manager', ['roles:manage', 'users:read']);
    const id = await createUser(service, admin, 'policy-target');
    const response = await assign(id, roleIds['auditor']!, manager);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'grant_exceeds_caller_permissions', missingPermissions: ['audit:read'] });
    expect((await permissionsOf(id)).permissions).toEqual([]);
  });

  it('counts inherited permissions of the role', async () => {
    const manager = await infrastructure.clientToken('operator-manager', ['roles:manage', 'users:suspend', 'sessions:revoke', 'tokens:revoke']);
    const id = await createUser(service, admin, 'policy-inherited');
    const response = await assign(id, roleIds['security-operator']!, manager);
    expect(response.json()).toMatchObject({ code: 'grant_exceeds_caller_permissions', missingPermissions: ['audit:read', 'users:read'] });
  });

  it('allows a role within the caller permissions', async () => {
    const manager = await infrastructure.clientToken('auditor-manager', ['roles:manage', 'users:read', 'audit:read']);
    const id = await createUser(service, admin, 'policy-allowed');
    expect((await assign(id, roleIds['auditor']!, manager)).statusCode).toBe(201);
  });

  it('refuses to create or widen a role beyond the caller permissions', async () => {
    const manager = await infrastructure.clientToken('narrow-manager', ['roles:manage', 'reports:read']);
    const created = await service.call('POST', '/v1/roles', { token: manager, body: { name: 'narrow-role', permissions: ['reports:read'] } });
    expect(created.statusCode).toBe(201);
    const wider = await service.call('POST', '/v1/roles', { token: manager, body: { name: 'wider-role', permissions: ['reports:read', 'users:delete'] } });
    expect(wider.json().code).toBe('grant_exceeds_caller_permissions');
    const viaParent = await service.call('POST', '/v1/roles', { token: manager, body: { name: 'parented-role', parentRoleId: roleIds['auditor'] } });
    expect(viaParent.json().code).toBe('grant_exceeds_caller_permissions');
    const widened = await service.call('PATCH', `/v1/roles/${created.json().id}`, { token: manager, body: { permissions: ['reports:read', 'audit:read'] } });
    expect(widened.json().code).toBe('grant_exceeds_caller_permissions');
  });

  it('never grants the system administrator role, even to a caller holding everything', async () => {
    const id = await createUser(service, admin, 'would-be-root');
    const response = await assign(id, roleIds['system-administrator']!);
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('role_not_grantable');
    const asParent = await service.call('POST', '/v1/roles', { token: admin, body: { name: 'root-child', parentRoleId: roleIds['system-administrator'] } });
    expect(asParent.json().code).toBe('parent_role_not_grantable');
    const changed = await service.call('PATCH', `/v1/roles/${roleIds['system-administrator']}`, { token: admin, body: { description: 'changed' } });
    expect(changed.json().code).toBe('role_not_grantable');
    expect((await service.call('DELETE', `/v1/roles/${roleIds['system-administrator']}`, { token: admin })).statusCode).toBe(409);
  });
});

describe('role management', () => {
  it('refuses an inheritance cycle', async () => {
    const response = await service.call('PATCH', `/v1/roles/${roleIds['auditor']}`, { token: admin, body: { parentRoleId: roleIds['administrator'] } });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('role_cycle');
  });

  it('refuses a duplicate name and a malformed permission', async () => {
    expect((await service.call('POST', '/v1/roles', { token: admin, body: { name: 'auditor' } })).json().code).toBe('role_name_taken');
    const malformed = await service.call('POST', '/v1/roles', { token: admin, body: { name: 'bad-permission', permissions: ["users:read'; drop table roles; --"] } });
    expect(malformed.statusCode).toBe(400);
  });

  it('revokes assignments when a role is deleted', async () => {
    const role = (await service.call('POST', '/v1/roles', { token: reportsAdmin, body: { name: 'short-lived', permissions: ['reports:export'] } })).json();
    const id = await createUser(service, admin, 'short-lived-holder');
    await assign(id, role.id, reportsAdmin);
    expect((await service.call('DELETE', `/v1/roles/${role.id}`, { token: reportsAdmin })).statusCode).toBe(204);
    expect((await permissionsOf(id)).permissions).toEqual([]);
    const history = (await service.call('GET', `/v1/users/${id}/roles?history=true`, { token: reportsAdmin })).json().assignments;
    expect(history[0]).toMatchObject({ roleId: role.id, active: false, revokedBy: 'm2m:platform-admin-cli' });
  });

  it('refuses a second live assignment and re-assigns after expiry', async () => {
    const id = await createUser(service, admin, 'double-assign');
    await assign(id, roleIds['auditor']!);
    expect((await assign(id, roleIds['auditor']!)).json().code).toBe('role_already_assigned');

    await sql`update user_roles set granted_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' where user_id = ${id}`.execute(service.context.db);
    expect((await assign(id, roleIds['auditor']!)).statusCode).toBe(201);
  });

  it('answers 404 for unknown and malformed ids', async () => {
    expect((await service.call('GET', `/v1/roles/${encodeURIComponent("x' or 1=1; --")}`, { token: admin })).statusCode).toBe(404);
    const id = await createUser(service, admin, 'unknown-role-target');
    expect((await assign(id, '00000000-0000-4000-8000-000000000000')).json().code).toBe('role_not_found');
    expect((await assign('00000000-0000-4000-8000-000000000000', roleIds['auditor']!)).json().code).toBe('user_not_found');
    expect((await service.call('DELETE', `/v1/users/${id}/roles/${roleIds['auditor']}`, { token: admin })).json().code).toBe('assignment_not_found');
  });

  it('refuses an assignment expiry in the past', async () => {
    const id = await createUser(service, admin, 'past-assignment');
    const response = await assign(id, roleIds['auditor']!, admin, '2001-01-01T00:00:00Z');
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('expiry_in_past');
  });
});

describe('permission cache', () => {
  it('is invalidated on every replica when an assignment changes', async () => {
    const cachingA = await startService(infrastructure, { PERMISSION_CACHE_TTL_MS: '600000' });
    const cachingB = await startService(infrastructure, { PERMISSION_CACHE_TTL_MS: '600000' });
    try {
      await cachingA.startBackground([permissionCacheSubscriberTask]);
      await cachingB.startBackground([permissionCacheSubscriberTask]);
      const id = await createUser(cachingA, admin, 'cached-reader');
      const token = await infrastructure.userToken('cached-reader', []);
      // Wait until both subscribers are connected, so no message is published before they listen.
      await waitFor(async () => Number((await service.context.redis.pubsub('NUMSUB', 'permissions:cache:invalidate'))[1]) >= 2, 'both subscribers');

      expect((await cachingB.call('GET', '/v1/users', { token })).statusCode).toBe(403);
      expect(cachingB.context.permissions.cache.size).toBeGreaterThan(0);
      await cachingA.call('POST', `/v1/users/${id}/roles`, { token: admin, body: { roleId: roleIds['auditor'] } });
      await waitFor(async () => (await cachingB.call('GET', '/v1/users', { token })).statusCode === 200, 'replica B to see the new role');

      await cachingA.call('DELETE', `/v1/users/${id}/roles/${roleIds['auditor']}`, { token: admin });
      await waitFor(async () => (await cachingB.call('GET', '/v1/users', { token })).statusCode === 403, 'replica B to see the revocation');
    } finally {
      await cachingA.close();
      await cachingB.close();
    }
  });
});
