import { sql, type Kysely } from 'kysely';

// Records when the audit event of a client suspension's expiry was written. The expiry itself needs
// no write, because status is derived from expires_at; this column only makes the event exactly-once.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE m2m_client_suspensions ADD COLUMN expiry_recorded_at timestamptz`.execute(db);
  await sql`
    CREATE INDEX m2m_client_suspensions_expiry_idx ON m2m_client_suspensions (expires_at)
    WHERE expires_at IS NOT NULL AND ended_at IS NULL AND expiry_recorded_at IS NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS m2m_client_suspensions_expiry_idx`.execute(db);
  await sql`ALTER TABLE m2m_client_suspensions DROP COLUMN IF EXISTS expiry_recorded_at`.execute(db);
}
