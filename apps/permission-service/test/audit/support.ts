import { createTestDatabase } from '@platform/testing';
import type { Kysely } from 'kysely';
import { openDatabase, type Database } from '../../src/database/database.ts';
import { runMigrations } from '../../src/database/migrator.ts';

export interface MigratedDatabase {
  readonly url: string;
  readonly db: Kysely<Database>;
  close(): Promise<void>;
}

/** Creates a test database with every migration of the service applied. */
export async function createMigratedDatabase(adminUrl?: string): Promise<MigratedDatabase> {
  const database = await createTestDatabase(adminUrl);
  const handle = openDatabase({ url: database.url, poolSize: 4 });
  await runMigrations(handle.db, 'latest');
  return {
    url: database.url,
    db: handle.db,
    close: async () => {
      await handle.close();
      await database.drop();
    },
  };
}
