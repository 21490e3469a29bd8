import { sql, type Kysely } from 'kysely';

// The audit trail: one table for every principal type, partitioned by month on `occurred_at`.
//
// Append-only is enforced twice. The service inserts through the role `platform_audit_writer`,
// which holds INSERT and SELECT on the table but never UPDATE, DELETE or TRUNCATE. A trigger also
// rejects row changes from any role, the table owner included, so removing history needs a
// deliberate `ALTER TABLE ... DISABLE TRIGGER` by the owner. Retention drops whole monthly
// partitions as the owner, which fires no row trigger.
//
// Partitions are created by the service (see src/audit/partitions.ts), not here, because they
// follow the calendar. Roles are cluster-wide, so they are created only when missing.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    DO $$
    BEGIN
      CREATE ROLE platform_audit_writer NOLOGIN;
    EXCEPTION WHEN duplicate_object THEN NULL;
    END $$`.execute(db);
  await sql`
    DO $$
    BEGIN
      CREATE ROLE platform_audit_reader NOLOGIN;
    EXCEPTION WHEN duplicate_object THEN NULL;
    END $$`.execute(db);
  // The session user must be able to SET ROLE to the writer; a superuser always can.
  await sql`
    DO $$
    BEGIN
      IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT platform_audit_writer, platform_audit_reader TO %I', current_user);
      END IF;
    END $$`.execute(db);

  await sql`
    CREATE TABLE audit_events (
      event_id uuid NOT NULL,
      occurred_at timestamptz NOT NULL,
      kind text NOT NULL,
      version smallint NOT NULL,
      producer text NOT NULL,
      principal_type text NOT NULL CHECK (principal_type IN ('user', 'm2m', 'system')),
      principal_id text NOT NULL,
      actor_type text CHECK (actor_type IN ('user', 'm2m', 'system')),
      actor_id text,
      action text NOT NULL,
      resource_type text,
      resource_id text,
      http_method text,
      http_path text,
      http_status smallint,
      decision text NOT NULL CHECK (decision IN ('allow', 'deny', 'success', 'failure')),
      reason text,
      request_id text,
      trace_id text,
      client_ip text,
      user_agent text,
      scopes text[],
      context jsonb NOT NULL DEFAULT '{}'::jsonb,
      -- Time first: new rows land at the right edge of the index instead of at random UUID
      -- positions, and the same index serves the whole trail newest first.
      PRIMARY KEY (occurred_at, event_id)
    ) PARTITION BY RANGE (occurred_at)`.execute(db);

  // Every index costs each insert. Three carry the queries: "who accessed resource X", "what did
  // principal P do" (with M2M usage), and admin actions by their actor, which only admin events
  // enter. The primary key serves the whole trail newest first. Keyset ties on occurred_at are
  // rare, so event_id is left out of the secondary indexes and sorted after the scan.
  // The resource index carries the principal and the decision, so "who accessed X" is an
  // index-only scan: a popular resource's rows are spread over the whole heap.
  await sql`
    CREATE INDEX audit_events_resource_idx ON audit_events (resource_type, resource_id, occurred_at)
    INCLUDE (principal_type, principal_id, decision)
    WHERE resource_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX audit_events_principal_idx ON audit_events (principal_type, principal_id, occurred_at)`.execute(db);
  await sql`CREATE INDEX audit_events_actor_idx ON audit_events (actor_type, actor_id, occurred_at) WHERE actor_id IS NOT NULL`.execute(db);

  await sql`
    CREATE FUNCTION audit_events_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END $$`.execute(db);
  // Row triggers on a partitioned table are cloned onto every partition, present and future.
  await sql`
    CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change()`.execute(db);
  await sql`
    CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change()`.execute(db);

  await sql`REVOKE ALL ON audit_events FROM PUBLIC`.execute(db);
  await sql`GRANT SELECT, INSERT ON audit_events TO platform_audit_writer`.execute(db);
  await sql`GRANT SELECT ON audit_events TO platform_audit_reader`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS audit_events`.execute(db);
  await sql`DROP FUNCTION IF EXISTS audit_events_reject_change()`.execute(db);
  // The roles are left in place because other databases on the same server may use them.
}
