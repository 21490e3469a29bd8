import { sql, type Kysely } from 'kysely';
import type { Database } from '../database/database.ts';
import { clientStatusSql, suspensionInForceSql, type ClientStatus } from './status.ts';

export interface SecretView {
  id: string;
  status: 'active' | 'expired' | 'revoked';
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface SuspensionView {
  id: string;
  suspendedAt: string;
  suspendedBy: string;
  expiresAt: string | null;
  reason: string;
  endedAt: string | null;
  endReason: 'lifted' | 'superseded' | null;
  endedBy: string | null;
}

/** An M2M client as the API returns it. Secrets appear as metadata only. */
export interface ClientView {
  id: string;
  name: string;
  owner: string;
  description: string;
  allowedScopes: string[];
  rateTier: string;
  tokenLifetimeSeconds: number;
  status: ClientStatus;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  disabledAt: string | null;
  disabledBy: string | null;
  deletedAt: string | null;
  deletedBy: string | null;
  /** The suspension in force, if any. */
  suspension: SuspensionView | null;
  secrets: SecretView[];
}

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

type Executor = Kysely<Database>;

/** Loads the views of the given clients, in the order of `ids`, skipping ids that do not exist. */
export async function loadClientViews(db: Executor, ids: string[]): Promise<ClientView[]> {
  if (ids.length === 0) return [];
  const [clients, secrets, suspensions] = await Promise.all([
    db.selectFrom('m2m_clients').selectAll().select(clientStatusSql().as('status')).where('id', 'in', ids).execute(),
    db.selectFrom('m2m_client_secrets')
      .select(['id', 'client_id', 'created_at', 'created_by', 'expires_at', 'revoked_at'])
      .select(sql<SecretView['status']>`(case when revoked_at is not null then 'revoked'
        when expires_at is not null and expires_at <= now() then 'expired' else 'active' end)`.as('status'))
      .where('client_id', 'in', ids)
      .orderBy('created_at', 'desc')
      .execute(),
    db.selectFrom('m2m_client_suspensions').selectAll().where('client_id', 'in', ids).where(suspensionInForceSql()).execute(),
  ]);

  const byId = new Map(clients.map((client) => [client.id, client]));
  return ids.flatMap((id) => {
    const client = byId.get(id);
    if (client === undefined) return [];
    const suspension = suspensions.find((row) => row.client_id === id);
    return [{
      id: client.id,
      name: client.name,
      owner: client.owner,
      description: client.description,
      allowedScopes: client.allowed_scopes,
      rateTier: client.rate_tier,
      tokenLifetimeSeconds: client.token_lifetime_seconds,
      status: client.status,
      createdAt: client.created_at.toISOString(),
      createdBy: client.created_by,
      updatedAt: client.updated_at.toISOString(),
      disabledAt: iso(client.disabled_at),
      disabledBy: client.disabled_by,
      deletedAt: iso(client.deleted_at),
      deletedBy: client.deleted_by,
      suspension: suspension === undefined || client.status !== 'suspended' ? null : toSuspensionView(suspension),
      secrets: secrets.filter((secret) => secret.client_id === id).map((secret) => ({
        id: secret.id,
        status: secret.status,
        createdAt: secret.created_at.toISOString(),
        createdBy: secret.created_by,
        expiresAt: iso(secret.expires_at),
        revokedAt: iso(secret.revoked_at),
      })),
    }];
  });
}

export function toSuspensionView(row: {
  id: string;
  suspended_at: Date;
  suspended_by: string;
  expires_at: Date | null;
  reason: string;
  ended_at: Date | null;
  end_reason: 'lifted' | 'superseded' | null;
  ended_by: string | null;
}): SuspensionView {
  return {
    id: row.id,
    suspendedAt: row.suspended_at.toISOString(),
    suspendedBy: row.suspended_by,
    expiresAt: iso(row.expires_at),
    reason: row.reason,
    endedAt: iso(row.ended_at),
    endReason: row.end_reason,
    endedBy: row.ended_by,
  };
}
