import { sql, type Kysely } from 'kysely';

// A permission on one resource instance for one user, for example `transactions:read` on
// transaction 42, with the same grant, expiry and revoke columns as role assignments.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('resource_grants')
    .addColumn('id', 'uuid', (column) => column.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'uuid', (column) => column.notNull().references('users.id').onDelete('cascade'))
    .addColumn('resource_type', 'text', (column) => column.notNull().check(sql`char_length(resource_type) between 1 and 64`))
    .addColumn('resource_id', 'text', (column) => column.notNull().check(sql`char_length(resource_id) between 1 and 256`))
    .addColumn('permission', 'text', (column) => column.notNull().references('permissions.name'))
    .addColumn('granted_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('granted_by', 'text', (column) => column.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'text')
    .addCheckConstraint('resource_grants_revoked_by_with_revoked_at', sql`(revoked_at is null) = (revoked_by is null)`)
    .execute();
  await db.schema
    .createIndex('resource_grants_live_key')
    .on('resource_grants')
    .columns(['user_id', 'resource_type', 'resource_id', 'permission'])
    .unique()
    .where(sql<boolean>`revoked_at is null`)
    .execute();
  await db.schema.createIndex('resource_grants_resource_idx').on('resource_grants').columns(['resource_type', 'resource_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('resource_grants').execute();
}
