import { sql, type Kysely } from 'kysely';

// Transactional outbox: a security action writes the BullMQ jobs it must cause into this table in the
// same transaction as its own change; the relay publishes them and sets published_at.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('outbox')
    .addColumn('id', 'uuid', (column) => column.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('topic', 'text', (column) => column.notNull())
    .addColumn('messages', 'jsonb', (column) => column.notNull().check(sql`jsonb_typeof(messages) = 'array'`))
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('published_at', 'timestamptz')
    .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('outbox_unpublished_idx').on('outbox').column('created_at').where(sql<boolean>`published_at is null`).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('outbox').execute();
}
