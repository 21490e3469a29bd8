import { sql, type Kysely } from 'kysely';

// The M2M client registry. A client's status is derived from timestamps, never stored: deleted
// (`deleted_at`), disabled (`disabled_at`), suspended (a suspension that has neither ended nor
// expired) or active. Suspensions and secrets keep their history; rows are never removed.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE m2m_clients (
      id text PRIMARY KEY,
      name text NOT NULL,
      owner text NOT NULL,
      description text NOT NULL DEFAULT '',
      allowed_scopes text[] NOT NULL DEFAULT '{}',
      rate_tier text NOT NULL,
      token_lifetime_seconds integer NOT NULL CHECK (token_lifetime_seconds > 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      disabled_at timestamptz,
      disabled_by text,
      deleted_at timestamptz,
      deleted_by text
    )`.execute(db);
  await sql`CREATE INDEX m2m_clients_listing_idx ON m2m_clients (created_at, id)`.execute(db);

  // `secret_hash` is "scrypt$N$r$p$salt$hash" with base64url salt and hash; the secret itself is
  // never stored. A secret is valid while it is neither revoked nor past `expires_at`.
  await sql`
    CREATE TABLE m2m_client_secrets (
      id uuid PRIMARY KEY,
      client_id text NOT NULL REFERENCES m2m_clients (id),
      secret_hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by text NOT NULL,
      expires_at timestamptz,
      revoked_at timestamptz,
      revoked_by text
    )`.execute(db);
  await sql`CREATE INDEX m2m_client_secrets_client_idx ON m2m_client_secrets (client_id, created_at)`.execute(db);

  await sql`
    CREATE TABLE m2m_client_suspensions (
      id uuid PRIMARY KEY,
      client_id text NOT NULL REFERENCES m2m_clients (id),
      suspended_at timestamptz NOT NULL,
      expires_at timestamptz CHECK (expires_at IS NULL OR expires_at > suspended_at),
      reason text NOT NULL,
      suspended_by text NOT NULL,
      -- Set when the suspension was lifted early or replaced by a newer one; an expiry needs no write.
      ended_at timestamptz,
      end_reason text CHECK (end_reason IN ('lifted', 'superseded')),
      ended_by text,
      lift_reason text,
      CHECK ((ended_at IS NULL) = (end_reason IS NULL))
    )`.execute(db);
  await sql`CREATE INDEX m2m_client_suspensions_client_idx ON m2m_client_suspensions (client_id, suspended_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS m2m_client_suspensions`.execute(db);
  await sql`DROP TABLE IF EXISTS m2m_client_secrets`.execute(db);
  await sql`DROP TABLE IF EXISTS m2m_clients`.execute(db);
}
