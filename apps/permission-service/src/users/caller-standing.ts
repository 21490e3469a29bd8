import type { Kysely } from 'kysely';
import type { CallerStanding } from '../auth/caller.ts';
import type { Database } from '../database/database.ts';
import type { PermissionService } from '../permissions/service.ts';
import { userStatusSql } from './status.ts';

/**
 * Looks up a user caller by subject. A suspended or deleted user is rejected whatever its token
 * carries. An unknown subject (a user who never logged in through the gateway) acts with its token
 * permissions only.
 */
export function userStandingLookup(db: Kysely<Database>, permissions: PermissionService) {
  return async (subject: string): Promise<CallerStanding> => {
    const user = await db
      .selectFrom('users')
      .select(['id', userStatusSql().as('status')])
      .where('subject', '=', subject)
      .orderBy((eb) => eb('deleted_at', 'is', null), 'desc')
      .orderBy('deleted_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (user === undefined) return { permissions: new Set() };
    if (user.status === 'suspended') return { userId: user.id, permissions: new Set(), blocked: { code: 'caller_suspended', detail: 'The calling user is suspended.' } };
    if (user.status === 'deleted') return { userId: user.id, permissions: new Set(), blocked: { code: 'caller_deleted', detail: 'The calling user is deleted.' } };
    const effective = await permissions.forUser(user.id);
    return { userId: user.id, permissions: new Set(effective.permissions.map((item) => item.permission)) };
  };
}
