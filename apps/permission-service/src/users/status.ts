import { sql, type RawBuilder } from 'kysely';

export type UserStatus = 'active' | 'suspended' | 'deleted';
export const USER_STATUSES: readonly UserStatus[] = ['active', 'suspended', 'deleted'];

/**
 * Builds the SQL for the derived status of a users row, computed by PostgreSQL against its own clock: deleted when
 * deleted_at is set, else suspended while a suspension has started and its expiry is null or still
 * in the future, else active. Access therefore returns at the exact second a suspension expires,
 * whether or not the expiry job has run.
 */
export function userStatusSql(alias = 'users'): RawBuilder<UserStatus> {
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  return sql<UserStatus>`(case
    when ${column('deleted_at')} is not null then 'deleted'
    when ${column('suspended_at')} is not null
      and (${column('suspension_expires_at')} is null or ${column('suspension_expires_at')} > now()) then 'suspended'
    else 'active' end)`;
}
