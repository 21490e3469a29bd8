import { sql, type Kysely, type Transaction } from 'kysely';
import { HttpProblem } from '@platform/service-kit';
import type { Database } from '../database/database.ts';
import type { Actor } from '../outbox/actor.ts';
import { auditMessage } from '../outbox/messages.ts';
import { writeOutbox } from '../outbox/write.ts';
import { MAX_ROLE_DEPTH } from '../permissions/effective.ts';
import { isUniqueViolation } from '../users/service.ts';
import { assertMayGrant } from './policy.ts';
import { ancestorChain, findLiveRole, roleNotFound, rolePermissionsWithInheritance, type RoleRecord } from './queries.ts';

export interface RoleChange {
  name?: string;
  description?: string | null;
  /** New parent; null removes the parent. */
  parentRoleId?: string | null;
  /** Replaces the role's direct permissions. */
  permissions?: string[];
}

// Role hierarchy changes take this transaction lock, so two concurrent parent changes cannot
// together form a cycle that neither would form alone.
const HIERARCHY_LOCK = sql`select pg_advisory_xact_lock(hashtextextended('permission-service:role-hierarchy', 0))`;

async function resolveParent(trx: Transaction<Database>, parentRoleId: string | null | undefined, roleId?: string): Promise<RoleRecord | null | undefined> {
  if (parentRoleId === undefined || parentRoleId === null) return parentRoleId;
  const parent = await findLiveRole(trx, parentRoleId);
  if (parent === undefined) throw new HttpProblem(400, 'parent_role_not_found', 'The parent role does not exist.');
  // A role under the system administrator would carry every permission while being grantable.
  if (!parent.grantable) throw new HttpProblem(400, 'parent_role_not_grantable', `The role ${parent.name} cannot be a parent role.`);
  const chain = await ancestorChain(trx, parent.id);
  if (roleId !== undefined && chain.includes(roleId)) throw new HttpProblem(400, 'role_cycle', 'The parent role inherits from this role; inheritance cannot form a cycle.');
  if (chain.length >= MAX_ROLE_DEPTH) throw new HttpProblem(400, 'role_hierarchy_too_deep', `Roles can inherit through at most ${MAX_ROLE_DEPTH} levels.`);
  return parent;
}

async function ensurePermissionsExist(trx: Transaction<Database>, permissions: readonly string[]): Promise<void> {
  for (const permission of permissions) {
    await trx.insertInto('permissions').values({ name: permission, description: null }).onConflict((conflict) => conflict.column('name').doNothing()).execute();
  }
}

async function parentPermissions(trx: Transaction<Database>, parent: RoleRecord | null | undefined): Promise<string[]> {
  return parent ? rolePermissionsWithInheritance(trx, parent.id) : [];
}

function roleAudit(operation: string, role: { id: string; name: string }, actor: Actor, at: Date, details: Record<string, unknown> = {}) {
  return auditMessage(['role', operation, role.id, at.toISOString()], 'admin.action', at, {
    principal: actor.principal,
    action: operation,
    resource: { type: 'role', id: role.id },
    decision: 'success',
    context: { operation, details: { roleName: role.name, ...details } },
  }, actor);
}

function withNameConflict<T>(work: Promise<T>): Promise<T> {
  return work.catch((error: unknown) => {
    if (isUniqueViolation(error, 'roles_live_name_key')) throw new HttpProblem(409, 'role_name_taken', 'Another role already has this name.');
    throw error;
  });
}

/** Creates a role; the caller must hold every permission it would carry, inherited ones included. */
export async function createRole(db: Kysely<Database>, change: Required<Pick<RoleChange, 'name'>> & RoleChange, callerPermissions: ReadonlySet<string>, actor: Actor): Promise<string> {
  return withNameConflict(db.transaction().execute(async (trx) => {
    await HIERARCHY_LOCK.execute(trx);
    const parent = await resolveParent(trx, change.parentRoleId);
    const permissions = [...new Set(change.permissions ?? [])];
    assertMayGrant(callerPermissions, { name: change.name, grantable: true }, [...new Set([...permissions, ...(await parentPermissions(trx, parent))])]);

    await ensurePermissionsExist(trx, permissions);
    const role = await trx
      .insertInto('roles')
      .values({ name: change.name, description: change.description ?? null, parent_role_id: parent?.id ?? null, created_by: actor.reference })
      .returning(['id', 'name', 'created_at'])
      .executeTakeFirstOrThrow();
    for (const permission of permissions) {
      await trx.insertInto('role_permissions').values({ role_id: role.id, permission, granted_by: actor.reference }).execute();
    }
    await writeOutbox(trx, 'role.created', [roleAudit('role.create', role, actor, role.created_at, { permissions, parentRoleId: parent?.id ?? null })]);
    return role.id;
  }));
}

/**
 * Changes a role. The caller must hold every permission the role carries after the change. The
 * system administrator role cannot be changed, and built-in roles keep their names.
 */
export async function updateRole(db: Kysely<Database>, roleId: string, change: RoleChange, callerPermissions: ReadonlySet<string>, actor: Actor): Promise<void> {
  await withNameConflict(db.transaction().execute(async (trx) => {
    await HIERARCHY_LOCK.execute(trx);
    const role = await findLiveRole(trx, roleId, { lock: true });
    if (role === undefined) throw roleNotFound();
    if (!role.grantable) throw new HttpProblem(403, 'role_not_grantable', `The role ${role.name} cannot be granted or changed through the API.`);
    if (role.built_in && change.name !== undefined && change.name !== role.name) throw new HttpProblem(409, 'built_in_role', 'Built-in roles keep their names.');

    const parent = change.parentRoleId === undefined
      ? (role.parent_role_id === null ? null : await findLiveRole(trx, role.parent_role_id))
      : await resolveParent(trx, change.parentRoleId, role.id);
    const current = (await trx.selectFrom('role_permissions').select('permission').where('role_id', '=', role.id).where('revoked_at', 'is', null).execute()).map((row) => row.permission);
    const next = change.permissions === undefined ? current : [...new Set(change.permissions)];
    assertMayGrant(callerPermissions, role, [...new Set([...next, ...(await parentPermissions(trx, parent))])]);

    const added = next.filter((permission) => !current.includes(permission));
    const removed = current.filter((permission) => !next.includes(permission));
    await ensurePermissionsExist(trx, added);
    for (const permission of added) {
      await trx.insertInto('role_permissions').values({ role_id: role.id, permission, granted_by: actor.reference }).execute();
    }
    if (removed.length > 0) {
      await trx
        .updateTable('role_permissions')
        .set({ revoked_at: sql`now()`, revoked_by: actor.reference })
        .where('role_id', '=', role.id)
        .where('permission', 'in', removed)
        .where('revoked_at', 'is', null)
        .execute();
    }
    const updated = await trx
      .updateTable('roles')
      .set({
        ...(change.name !== undefined ? { name: change.name } : {}),
        ...(change.description !== undefined ? { description: change.description } : {}),
        ...(change.parentRoleId !== undefined ? { parent_role_id: parent?.id ?? null } : {}),
        updated_at: sql`now()`,
      })
      .where('id', '=', role.id)
      .returning(['id', 'name', 'updated_at'])
      .executeTakeFirstOrThrow();
    await writeOutbox(trx, 'role.updated', [roleAudit('role.update', updated, actor, updated.updated_at, { added, removed, parentRoleId: parent?.id ?? null })]);
  }));
}

/**
 * Soft-deletes a role and revokes its live assignments. Built-in roles and roles that other live
 * roles inherit from cannot be deleted; the caller must hold every permission the role carries.
 */
export async function deleteRole(db: Kysely<Database>, roleId: string, callerPermissions: ReadonlySet<string>, actor: Actor): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    await HIERARCHY_LOCK.execute(trx);
    const role = await findLiveRole(trx, roleId, { lock: true });
    if (role === undefined) throw roleNotFound();
    if (role.built_in) throw new HttpProblem(409, 'built_in_role', 'Built-in roles cannot be deleted.');
    assertMayGrant(callerPermissions, role, await rolePermissionsWithInheritance(trx, role.id));
    const child = await trx.selectFrom('roles').select('name').where('parent_role_id', '=', role.id).where('deleted_at', 'is', null).executeTakeFirst();
    if (child !== undefined) throw new HttpProblem(409, 'role_has_children', `The role ${child.name} inherits from this role; change its parent first.`);

    const deleted = await trx
      .updateTable('roles')
      .set({ deleted_at: sql`now()`, deleted_by: actor.reference, updated_at: sql`now()` })
      .where('id', '=', role.id)
      .returning(['id', 'name', 'deleted_at'])
      .executeTakeFirstOrThrow();
    const revoked = await trx
      .updateTable('user_roles')
      .set({ revoked_at: sql`now()`, revoked_by: actor.reference })
      .where('role_id', '=', role.id)
      .where('revoked_at', 'is', null)
      .returning('user_id')
      .execute();
    await writeOutbox(trx, 'role.deleted', [roleAudit('role.delete', deleted, actor, deleted.deleted_at!, { revokedAssignments: revoked.length })]);
    return revoked.map((row) => row.user_id);
  });
}
