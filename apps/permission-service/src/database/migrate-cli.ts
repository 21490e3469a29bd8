import { createLogger, env, loadConfig, runMain } from '@platform/service-kit';
import { openDatabase } from './database.ts';
import { runMigrations, type MigrationDirection } from './migrator.ts';

// Command line: `node src/database/migrate-cli.ts [latest|up|down]` with DATABASE_URL set.
// `latest` applies every pending migration, `up` the next one, `down` reverts the last one.

const DIRECTIONS: readonly MigrationDirection[] = ['latest', 'up', 'down'];

runMain(async () => {
  const direction = (process.argv[2] ?? 'latest') as MigrationDirection;
  if (!DIRECTIONS.includes(direction)) {
    process.stderr.write(`unknown migration command ${JSON.stringify(direction)}; expected one of ${DIRECTIONS.join(', ')}\n`);
    process.exit(2);
  }
  const config = loadConfig({
    DATABASE_URL: env.url({ protocols: ['postgres:', 'postgresql:'], example: 'postgres://platform:secret@127.0.0.1:5432/platform' }),
    LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  });
  const logger = createLogger('permission-service-migrate', config.LOG_LEVEL);
  const database = openDatabase({ url: config.DATABASE_URL, poolSize: 2, logger, applicationName: 'permission-service-migrate' });
  try {
    const result = await runMigrations(database.db, direction);
    const applied = result.results ?? [];
    if (applied.length === 0) logger.info({ direction }, 'no migration to run');
    for (const item of applied) logger.info({ migration: item.migrationName, direction: item.direction, status: item.status }, 'migration finished');
  } finally {
    await database.close();
  }
});
