import { sql, type Kysely } from 'kysely';

// Users linked to the identity provider's subject. Soft delete and suspension are separate column
// groups: a deleted user keeps its suspension columns, and a suspension never marks a user deleted.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'uuid', (column) => column.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('subject', 'text', (column) => column.notNull().check(sql`char_length(subject) between 1 and 256`))
    .addColumn('email', 'text', (column) => column.check(sql`char_length(email) <= 320`))
    .addColumn('display_name', 'text', (column) => column.check(sql`char_length(display_name) <= 256`))
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addColumn('deleted_by', 'text')
    .addColumn('suspended_at', 'timestamptz')
    .addColumn('suspension_expires_at', 'timestamptz')
    .addColumn('suspension_reason', 'text')
    .addColumn('suspended_by', 'text')
    .addCheckConstraint('users_deleted_by_with_deleted_at', sql`(deleted_at is null) = (deleted_by is null)`)
    .addCheckConstraint('users_suspension_columns_together', sql`(suspended_at is null) = (suspended_by is null) and (suspended_at is null) = (suspension_reason is null)`)
    .addCheckConstraint('users_suspension_expiry_after_start', sql`suspension_expires_at is null or (suspended_at is not null and suspension_expires_at > suspended_at)`)
    .execute();

  // One live user per subject; deleted users keep their subject for the record.
  await db.schema.createIndex('users_live_subject_key').on('users').column('subject').unique().where(sql<boolean>`deleted_at is null`).execute();
  await db.schema.createIndex('users_subject_idx').on('users').column('subject').execute();
  await db.schema.createIndex('users_created_at_id_idx').on('users').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('users_email_idx').on('users').column('email').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('users').execute();
}
