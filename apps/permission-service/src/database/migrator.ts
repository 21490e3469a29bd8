import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely/migration';
import type { Database } from './database.ts';

export const MIGRATIONS_FOLDER = join(import.meta.dirname, 'migrations');

/** Migration files are `NNNN_snake_case_name.ts`; the four-digit number orders them. */
const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.ts$/;

/**
 * Loads every migration module of a folder. Core migrations use numbers 0001-0049 and the audit
 * and client-registry migrations 0050 and above, so files written in parallel never collide.
 */
export class FolderMigrationProvider implements MigrationProvider {
  private readonly folder: string;

  constructor(folder: string = MIGRATIONS_FOLDER) {
    this.folder = folder;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.folder)).filter((file) => MIGRATION_FILE.test(file)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const module = (await import(pathToFileURL(join(this.folder, file)).href)) as Partial<Migration>;
      if (typeof module.up !== 'function' || typeof module.down !== 'function') {
        throw new Error(`migration ${file} must export both up() and down()`);
      }
      migrations[file.replace(/\.ts$/, '')] = { up: module.up, down: module.down };
    }
    return migrations;
  }
}

export function createMigrator(db: Kysely<Database>, folder?: string): Migrator {
  return new Migrator({
    db,
    provider: new FolderMigrationProvider(folder),
    // Core and audit migrations are numbered in separate ranges. A database that already ran 0050
    // must still accept a later 0005, so order is checked by name only within one run.
    allowUnorderedMigrations: true,
  });
}

// Key of the session-level advisory lock held around migrations. kysely 0.29 takes its own advisory
// lock, but only after it has created its bookkeeping tables. Replicas starting together would race
// on those CREATE TABLE statements, so the whole run is serialised here.
const MIGRATION_LOCK_KEY = 4_718_220_913_331;

export type MigrationDirection = 'latest' | 'up' | 'down';

/**
 * Runs migrations while holding a PostgreSQL advisory lock, so that replicas starting together
 * apply each migration exactly once: the first runs them, the others wait and then find nothing
 * left to do. Throws when a migration fails; kysely rolls the failed migration back.
 */
export async function runMigrations(db: Kysely<Database>, direction: MigrationDirection = 'latest', folder?: string): Promise<MigrationResultSet> {
  return db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(connection);
    try {
      const migrator = createMigrator(connection, folder);
      const result = direction === 'latest' ? await migrator.migrateToLatest()
        : direction === 'up' ? await migrator.migrateUp()
        : await migrator.migrateDown();
      if (result.error !== undefined) {
        const failed = result.results?.find((item) => item.status === 'Error')?.migrationName;
        const message = result.error instanceof Error ? result.error.message : String(result.error);
        throw new Error(`migration ${failed ?? '(setup)'} failed: ${message}`, { cause: result.error });
      }
      return result;
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(connection);
    }
  });
}
