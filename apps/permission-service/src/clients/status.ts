import { sql, type RawBuilder } from 'kysely';

export type ClientStatus = 'active' | 'suspended' | 'disabled' | 'deleted';
export const CLIENT_STATUSES: readonly ClientStatus[] = ['active', 'suspended', 'disabled', 'deleted'];

/**
 * SQL condition: the suspension row `alias` is in force now, by PostgreSQL's clock. It has started,
 * was neither lifted nor replaced, and has no expiry or one still in the future, so a client is
 * active again at the exact moment its suspension expires, with no job having to run.
 */
export function suspensionInForceSql(alias = 'm2m_client_suspensions'): RawBuilder<boolean> {
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  return sql<boolean>`(${column('ended_at')} is null and ${column('suspended_at')} <= now()
    and (${column('expires_at')} is null or ${column('expires_at')} > now()))`;
}

/** Computes the status of an m2m_clients row: deleted, else disabled, else suspended, else active. */
export function clientStatusSql(alias = 'm2m_clients'): RawBuilder<ClientStatus> {
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  return sql<ClientStatus>`(case
    when ${column('deleted_at')} is not null then 'deleted'
    when ${column('disabled_at')} is not null then 'disabled'
    when exists (select 1 from m2m_client_suspensions current_suspension
      where current_suspension.client_id = ${column('id')} and ${suspensionInForceSql('current_suspension')}) then 'suspended'
    else 'active' end)`;
}
