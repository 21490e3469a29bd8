import { sql, type Kysely } from 'kysely';
import type { Database } from '../database/database.ts';

export interface EffectivePermission {
  permission: string;
  /** Names of the assigned roles through which the permission is held (directly or by inheritance). */
  viaRoles: string[];
  /** When the last path to this permission expires; null when at least one path never expires. */
  expiresAt: Date | null;
}

export interface EffectivePermissions {
  permissions: EffectivePermission[];
  /** The database time the result was computed for. */
  evaluatedAt: Date;
  /** Earliest future expiry among the assignments used; the result is exact until then. */
  validUntil: Date | null;
}

/** Inheritance chains longer than this are cut; role updates refuse to create them. */
export const MAX_ROLE_DEPTH = 16;

/**
 * Computes the permissions a user has at `at` (default: the database's now) through role
 * assignments and role inheritance, honouring grant, expiry, revoke and role deletion times.
 */
// NOTE: with a past `at`, inheritance follows today's parent links; parent changes are not versioned.
export async function effectivePermissions(db: Kysely<Database>, userId: string, at?: Date): Promise<EffectivePermissions> {
  const moment = at === undefined ? sql`now()` : sql`${at}::timestamptz`;
  const result = await sql<{ permission: string | null; via_roles: string[] | null; expires_at: Date | null; never_expires: boolean | null; evaluated_at: Date; valid_until: Date | null }>`
    with recursive
    moment as (select ${moment} as t),
    assigned as (
      select ur.role_id, ur.expires_at
      from user_roles ur
      join roles r on r.id = ur.role_id
      cross join moment m
      where ur.user_id = ${userId}
        and ur.granted_at <= m.t
        and (ur.revoked_at is null or ur.revoked_at > m.t)
        and (ur.expires_at is null or ur.expires_at > m.t)
        and r.created_at <= m.t
        and (r.deleted_at is null or r.deleted_at > m.t)
    ),
    chain (role_id, assigned_role_id, assignment_expires_at, depth) as (
      select role_id, role_id, expires_at, 0 from assigned
      union
      select r.parent_role_id, c.assigned_role_id, c.assignment_expires_at, c.depth + 1
      from chain c
      join roles r on r.id = c.role_id
      join roles parent on parent.id = r.parent_role_id
      cross join moment m
      where c.depth < ${MAX_ROLE_DEPTH}
        and (parent.deleted_at is null or parent.deleted_at > m.t)
    ),
    paths as (
      select rp.permission, assigned_role.name as role_name,
             nullif(least(coalesce(c.assignment_expires_at, 'infinity'), coalesce(rp.expires_at, 'infinity')), 'infinity') as path_expires_at
      from chain c
      join role_permissions rp on rp.role_id = c.role_id
      join roles assigned_role on assigned_role.id = c.assigned_role_id
      cross join moment m
      where rp.granted_at <= m.t
        and (rp.revoked_at is null or rp.revoked_at > m.t)
        and (rp.expires_at is null or rp.expires_at > m.t)
    ),
    grouped as (
      select permission,
             array_agg(distinct role_name order by role_name) as via_roles,
             max(path_expires_at) as expires_at,
             bool_or(path_expires_at is null) as never_expires
      from paths group by permission
    )
    select g.permission, g.via_roles, g.expires_at, g.never_expires,
           (select t from moment) as evaluated_at,
           (select min(path_expires_at) from paths) as valid_until
    from (select 1) as one
    left join grouped g on true
    order by g.permission`.execute(db);

  const first = result.rows[0];
  return {
    permissions: result.rows
      .filter((row) => row.permission !== null)
      .map((row) => ({ permission: row.permission!, viaRoles: row.via_roles ?? [], expiresAt: row.never_expires ? null : row.expires_at })),
    evaluatedAt: first?.evaluated_at ?? new Date(),
    validUntil: first?.valid_until ?? null,
  };
}
