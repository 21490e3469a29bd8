import { sql, type Kysely } from 'kysely';
import type { Database } from '../database/database.ts';

export interface ResourceGrant {
  resourceType: string;
  resourceId: string;
  permission: string;
  expiresAt: Date | null;
}

/**
 * Lists the permissions a user has on single resource instances at `at` (default: the database's now).
 * NOTE: grants are stored and reported, but no route creates or revokes them yet.
 */
export async function resourceGrantsOf(db: Kysely<Database>, userId: string, at?: Date): Promise<ResourceGrant[]> {
  const moment = at === undefined ? sql<Date>`now()` : sql<Date>`${at}::timestamptz`;
  const rows = await db
    .selectFrom('resource_grants')
    .select(['resource_type', 'resource_id', 'permission', 'expires_at'])
    .where('user_id', '=', userId)
    .where('granted_at', '<=', moment)
    .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', moment)]))
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', moment)]))
    .orderBy('resource_type')
    .orderBy('resource_id')
    .orderBy('permission')
    .execute();
  return rows.map((row) => ({ resourceType: row.resource_type, resourceId: row.resource_id, permission: row.permission, expiresAt: row.expires_at }));
}
