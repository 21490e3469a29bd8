import { sql, type Kysely } from 'kysely';

// Every suspension a user ever had and how it ended. At most one row per user is open (ended_at is
// null); the users row points at it and mirrors its columns for fast status reads.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('user_suspensions')
    .addColumn('id', 'uuid', (column) => column.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'uuid', (column) => column.notNull().references('users.id').onDelete('cascade'))
    .addColumn('reason', 'text', (column) => column.notNull().check(sql`char_length(reason) between 1 and 512`))
    .addColumn('suspended_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('suspended_by', 'text', (column) => column.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('end_reason', 'text', (column) => column.check(sql`end_reason in ('expired', 'lifted', 'superseded')`))
    .addColumn('lifted_by', 'text')
    .addCheckConstraint('user_suspensions_expiry_after_start', sql`expires_at is null or expires_at > suspended_at`)
    .addCheckConstraint('user_suspensions_end_reason_with_end', sql`(ended_at is null) = (end_reason is null)`)
    .addCheckConstraint('user_suspensions_lifted_by_when_lifted', sql`(end_reason = 'lifted') = (lifted_by is not null)`)
    .execute();

  await db.schema.createIndex('user_suspensions_one_open_per_user').on('user_suspensions').column('user_id').unique().where(sql<boolean>`ended_at is null`).execute();
  await db.schema.createIndex('user_suspensions_user_history_idx').on('user_suspensions').columns(['user_id', 'suspended_at desc']).execute();
  await db.schema.createIndex('user_suspensions_open_expiry_idx').on('user_suspensions').column('expires_at').where(sql<boolean>`ended_at is null`).execute();

  await db.schema.alterTable('users').addColumn('suspension_id', 'uuid', (column) => column.references('user_suspensions.id').onDelete('set null')).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('suspension_id').execute();
  await db.schema.dropTable('user_suspensions').execute();
}
