import { sql, type Kysely } from 'kysely';

// Roles with an optional parent (a role inherits its parent's permissions), permissions named
// `resource:action`, and the two assignment tables. Assignments are never deleted: revoking sets
// revoked_at/revoked_by, so the permissions a user held at any past moment can be queried.

const PERMISSION_NAME_CHECK = sql`name ~ '^[a-z][a-z0-9_-]{0,62}:[a-z][a-z0-9_-]{0,62}$'`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('permissions')
    .addColumn('name', 'text', (column) => column.primaryKey().check(PERMISSION_NAME_CHECK))
    .addColumn('description', 'text', (column) => column.check(sql`char_length(description) <= 512`))
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('roles')
    .addColumn('id', 'uuid', (column) => column.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (column) => column.notNull().check(sql`name ~ '^[a-z][a-z0-9-]{0,62}$'`))
    .addColumn('description', 'text', (column) => column.check(sql`char_length(description) <= 512`))
    .addColumn('parent_role_id', 'uuid', (column) => column.references('roles.id'))
    .addColumn('grantable', 'boolean', (column) => column.notNull().defaultTo(true))
    .addColumn('built_in', 'boolean', (column) => column.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('created_by', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addColumn('deleted_by', 'text')
    .addCheckConstraint('roles_not_own_parent', sql`parent_role_id is distinct from id`)
    .addCheckConstraint('roles_deleted_by_with_deleted_at', sql`(deleted_at is null) = (deleted_by is null)`)
    .execute();
  await db.schema.createIndex('roles_live_name_key').on('roles').column('name').unique().where(sql<boolean>`deleted_at is null`).execute();
  await db.schema.createIndex('roles_parent_idx').on('roles').column('parent_role_id').execute();

  await db.schema
    .createTable('role_permissions')
    .addColumn('id', 'uuid', (column) => column.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('role_id', 'uuid', (column) => column.notNull().references('roles.id'))
    .addColumn('permission', 'text', (column) => column.notNull().references('permissions.name'))
    .addColumn('granted_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('granted_by', 'text', (column) => column.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'text')
    .addCheckConstraint('role_permissions_revoked_by_with_revoked_at', sql`(revoked_at is null) = (revoked_by is null)`)
    .execute();
  await db.schema.createIndex('role_permissions_live_key').on('role_permissions').columns(['role_id', 'permission']).unique().where(sql<boolean>`revoked_at is null`).execute();

  await db.schema
    .createTable('user_roles')
    .addColumn('id', 'uuid', (column) => column.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'uuid', (column) => column.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role_id', 'uuid', (column) => column.notNull().references('roles.id'))
    .addColumn('granted_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('granted_by', 'text', (column) => column.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'text')
    .addCheckConstraint('user_roles_revoked_by_with_revoked_at', sql`(revoked_at is null) = (revoked_by is null)`)
    .addCheckConstraint('user_roles_expiry_after_grant', sql`expires_at is null or expires_at > granted_at`)
    .execute();
  await db.schema.createIndex('user_roles_live_key').on('user_roles').columns(['user_id', 'role_id']).unique().where(sql<boolean>`revoked_at is null`).execute();
  await db.schema.createIndex('user_roles_role_idx').on('user_roles').column('role_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('user_roles').execute();
  await db.schema.dropTable('role_permissions').execute();
  await db.schema.dropTable('roles').execute();
  await db.schema.dropTable('permissions').execute();
}
