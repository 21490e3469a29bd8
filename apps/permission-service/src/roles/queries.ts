import { sql, type Kysely, type Transaction } from 'kysely';
import { HttpProblem } from '@platform/service-kit';
import type { Database } from '../database/database.ts';
import { MAX_ROLE_DEPTH } from '../permissions/effective.ts';
import { isUuid } from '../users/ids.ts';

export interface RoleRecord {
  id: string;
  name: string;
  description: string | null;
  parent_role_id: string | null;
  grantable: boolean;
  built_in: boolean;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  deleted_at: Date | null;
  deleted_by: string | null;
}

type Executor = Kysely<Database> | Transaction<Database>;

const ROLE_COLUMNS = ['id', 'name', 'description', 'parent_role_id', 'grantable', 'built_in', 'created_at', 'created_by', 'updated_at', 'deleted_at', 'deleted_by'] as const;

export function roleNotFound(): HttpProblem {
  return new HttpProblem(404, 'role_not_found', 'No role has this id.');
}

/** Reads a role that is not deleted; returns undefined for unknown or malformed ids. */
export async function findLiveRole(db: Executor, id: string, options: { lock?: boolean } = {}): Promise<RoleRecord | undefined> {
  if (!isUuid(id)) return undefined;
  let query = db.selectFrom('roles').select(ROLE_COLUMNS).where('id', '=', id).where('deleted_at', 'is', null);
  if (options.lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function listLiveRoles(db: Executor): Promise<RoleRecord[]> {
  return db.selectFrom('roles').select(ROLE_COLUMNS).where('deleted_at', 'is', null).orderBy('name').execute();
}

/** Live, unexpired permissions granted to roles directly, by role id. */
export async function directPermissions(db: Executor, roleIds: string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(roleIds.map((id) => [id, []]));
  if (roleIds.length === 0) return result;
  const rows = await db
    .selectFrom('role_permissions')
    .select(['role_id', 'permission'])
    .where('role_id', 'in', roleIds)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
    .orderBy('permission')
    .execute();
  for (const row of rows) result.get(row.role_id)?.push(row.permission);
  return result;
}

/** Ids of a role and all its live ancestors, nearest first. */
export async function ancestorChain(db: Executor, roleId: string): Promise<string[]> {
  const rows = await sql<{ id: string }>`
    with recursive chain (id, depth) as (
      select id, 0 from roles where id = ${roleId} and deleted_at is null
      union all
      select r.parent_role_id, c.depth + 1
      from chain c join roles r on r.id = c.id
      join roles parent on parent.id = r.parent_role_id and parent.deleted_at is null
      where c.depth < ${MAX_ROLE_DEPTH + 1}
    )
    select id from chain order by depth`.execute(db);
  return rows.rows.map((row) => row.id);
}

/** Permissions a role carries: its own plus every live ancestor's. */
export async function rolePermissionsWithInheritance(db: Executor, roleId: string): Promise<string[]> {
  const chain = await ancestorChain(db, roleId);
  const direct = await directPermissions(db, chain);
  return [...new Set([...direct.values()].flat())].sort();
}
