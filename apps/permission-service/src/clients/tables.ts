import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedTimestamp = ColumnType<Date, Date | string | undefined, never>;

export interface M2mClientTable {
  id: string;
  name: string;
  owner: string;
  description: Generated<string>;
  allowed_scopes: Generated<string[]>;
  rate_tier: string;
  token_lifetime_seconds: number;
  created_at: CreatedTimestamp;
  created_by: string;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  disabled_at: Timestamp | null;
  disabled_by: string | null;
  deleted_at: Timestamp | null;
  deleted_by: string | null;
}

export interface M2mClientSecretTable {
  id: string;
  client_id: string;
  /** "scrypt$N$r$p$salt$hash"; the secret itself is never stored. */
  secret_hash: string;
  created_at: CreatedTimestamp;
  created_by: string;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  revoked_by: string | null;
}

export interface M2mClientSuspensionTable {
  id: string;
  client_id: string;
  suspended_at: Timestamp;
  expires_at: Timestamp | null;
  reason: string;
  suspended_by: string;
  ended_at: Timestamp | null;
  end_reason: 'lifted' | 'superseded' | null;
  ended_by: string | null;
  lift_reason: string | null;
  /** When the audit event of this suspension's expiry was written; null before. */
  expiry_recorded_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** Tables of the M2M client registry, for the service's kysely `Database` type. */
export interface ClientTables {
  m2m_clients: M2mClientTable;
  m2m_client_secrets: M2mClientSecretTable;
  m2m_client_suspensions: M2mClientSuspensionTable;
}
