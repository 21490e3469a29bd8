import { promises as fs } from 'node:fs';
import path, { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import { FileMigrationProvider, Migrator } from 'kysely/migration';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@platform/testing';

export interface MigratedDatabase {
  readonly url: string;
  readonly db: Kysely<unknown>;
  close(): Promise<void>;
}

export function connect(url: string): Kysely<unknown> {
  return new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 4 }) }) });
}

/** Creates a test database with every migration of the service applied. */
export async function createMigratedDatabase(): Promise<MigratedDatabase> {
  const database: TestDatabase = await createTestDatabase();
  const db = connect(database.url);
  const migrator = new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: join(import.meta.dirname, '..', '..', 'src', 'database', 'migrations') }),
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
  return {
    url: database.url,
    db,
    close: async () => {
      await db.destroy();
      await database.drop();
    },
  };
}
