import { sql, type Kysely } from 'kysely';
import { HttpProblem } from '@platform/service-kit';
import type { Database } from '../database/database.ts';
import { SYSTEM_ACTOR, type Actor } from '../outbox/actor.ts';
import { auditMessage } from '../outbox/messages.ts';
import { writeOutbox } from '../outbox/write.ts';
import { lockUser } from '../users/queries.ts';
import { isUniqueViolation } from '../users/service.ts';
import { assertMayGrant } from './policy.ts';
import { findLiveRole, roleNotFound, rolePermissionsWithInheritance } from './queries.ts';

export interface AssignmentRecord {
  id: string;
  role_id: string;
  role_name: string;
  granted_at: Date;
  granted_by: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  active: boolean;
}

function assignmentAudit(operation: string, user: { id: string; subject: string }, role: { id: string; name: string }, assignmentId: string, at: Date, actor: Actor, details: Record<string, unknown> = {}) {
  return auditMessage(['user-role', operation, assignmentId], 'admin.action', at, {
    principal: { type: 'user', id: user.subject },
    action: operation,
    resource: { type: 'user', id: user.id },
    decision: 'success',
    context: { operation, details: { roleId: role.id, roleName: role.name, assignmentId, ...details } },
  }, actor);
}

/**
 * Assigns a role to a user under the grant policy. The expiry, when given, must be in the future on
 * the database clock. 409 when the user is deleted or already has the role.
 */
export async function assignRole(db: Kysely<Database>, userId: string, roleId: string, expiresAt: Date | undefined, callerPermissions: ReadonlySet<string>, actor: Actor): Promise<string> {
  if (expiresAt !== undefined && Number.isNaN(expiresAt.getTime())) throw new HttpProblem(400, 'invalid_expiry', 'expiresAt is not a valid date-time.');
  try {
    return await db.transaction().execute(async (trx) => {
      const user = await lockUser(trx, userId);
      if (user.deleted_at !== null) throw new HttpProblem(409, 'user_deleted', 'The user is deleted.');
      const role = await findLiveRole(trx, roleId);
      if (role === undefined) throw roleNotFound();
      assertMayGrant(callerPermissions, role, await rolePermissionsWithInheritance(trx, role.id));
      if (expiresAt !== undefined) {
        const { future } = (await sql<{ future: boolean }>`select ${expiresAt}::timestamptz > now() as future`.execute(trx)).rows[0]!;
        if (!future) throw new HttpProblem(400, 'expiry_in_past', 'The assignment must expire in the future.');
      }

      // An expired assignment still occupies the live slot of the unique index; record it as ended at its expiry.
      await trx
        .updateTable('user_roles')
        .set({ revoked_at: sql`expires_at`, revoked_by: SYSTEM_ACTOR.reference })
        .where('user_id', '=', user.id)
        .where('role_id', '=', role.id)
        .where('revoked_at', 'is', null)
        .where('expires_at', '<=', sql<Date>`now()`)
        .execute();
      const assignment = await trx
        .insertInto('user_roles')
        .values({ user_id: user.id, role_id: role.id, granted_by: actor.reference, expires_at: expiresAt ?? null })
        .returning(['id', 'granted_at'])
        .executeTakeFirstOrThrow();
      await writeOutbox(trx, 'role.assigned', [assignmentAudit('role.assign', user, role, assignment.id, assignment.granted_at, actor, { expiresAt: expiresAt?.toISOString() ?? null })]);
      return assignment.id;
    });
  } catch (error) {
    if (isUniqueViolation(error, 'user_roles_live_key')) throw new HttpProblem(409, 'role_already_assigned', 'The user already has this role; revoke it first to change its expiry.');
    throw error;
  }
}

/** Revokes a user's live assignment of a role. The system administrator role is managed outside the API. */
export async function revokeRole(db: Kysely<Database>, userId: string, roleId: string, actor: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const user = await lockUser(trx, userId);
    const role = await findLiveRole(trx, roleId);
    if (role === undefined) throw roleNotFound();
    if (!role.grantable) throw new HttpProblem(403, 'role_not_grantable', `The role ${role.name} cannot be granted or revoked through the API.`);
    const revoked = await trx
      .updateTable('user_roles')
      .set({ revoked_at: sql`now()`, revoked_by: actor.reference })
      .where('user_id', '=', user.id)
      .where('role_id', '=', role.id)
      .where('revoked_at', 'is', null)
      .returning(['id', 'revoked_at'])
      .executeTakeFirst();
    if (revoked === undefined) throw new HttpProblem(404, 'assignment_not_found', 'The user does not hold this role.');
    await writeOutbox(trx, 'role.revoked', [assignmentAudit('role.revoke', user, role, revoked.id, revoked.revoked_at!, actor)]);
  });
}

/** Lists a user's role assignments, newest first: the live ones, or the whole history. */
export async function listAssignments(db: Kysely<Database>, userId: string, includeHistory: boolean): Promise<AssignmentRecord[]> {
  let query = db
    .selectFrom('user_roles as ur')
    .innerJoin('roles as r', 'r.id', 'ur.role_id')
    .select([
      'ur.id', 'ur.role_id', 'r.name as role_name', 'ur.granted_at', 'ur.granted_by', 'ur.expires_at', 'ur.revoked_at', 'ur.revoked_by',
      sql<boolean>`ur.revoked_at is null and (ur.expires_at is null or ur.expires_at > now()) and r.deleted_at is null`.as('active'),
    ])
    .where('ur.user_id', '=', userId);
  if (!includeHistory) query = query.where('ur.revoked_at', 'is', null).where((eb) => eb.or([eb('ur.expires_at', 'is', null), eb('ur.expires_at', '>', sql<Date>`now()`)]));
  return query.orderBy('ur.granted_at', 'desc').execute();
}
