import { createLogger, installGracefulShutdown, runMain, startTelemetry } from '@platform/service-kit';
import { buildApp } from './app.ts';
import { startBackgroundTasks } from './background.ts';
import { readConfig } from './config.ts';
import { createContext } from './context.ts';
import { runMigrations } from './database/migrator.ts';

runMain(async () => {
  const config = readConfig();
  const stopTelemetry = startTelemetry('permission-service');
  const logger = createLogger('permission-service', config.LOG_LEVEL);
  const context = createContext(config, logger);

  if (config.MIGRATE_ON_START) {
    const result = await runMigrations(context.db, 'latest');
    logger.info({ applied: (result.results ?? []).map((item) => item.migrationName) }, 'migrations applied');
  }

  const app = await buildApp(context);
  const stopBackground = await startBackgroundTasks(context);
  // On SIGTERM, app.close() drains in-flight requests, then this hook stops the workers and the
  // relay before the BullMQ, Redis and PostgreSQL connections they use are closed.
  app.addHook('onClose', async () => {
    await stopBackground();
    await context.close();
    await stopTelemetry();
  });
  installGracefulShutdown(app);
  await app.listen({ port: config.PORT, host: config.HOST });
});
