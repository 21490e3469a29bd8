import { createLogger, installGracefulShutdown, runMain, startTelemetry } from '@platform/service-kit';
import { buildApp } from './app.ts';
import { loadTokenValidationConfig } from './config.ts';

runMain(async () => {
  const config = loadTokenValidationConfig();
  const stopTelemetry = startTelemetry('token-validation');
  const logger = createLogger('token-validation', config.LOG_LEVEL);
  const { app } = await buildApp({ config, logger });
  app.addHook('onClose', async () => stopTelemetry());
  installGracefulShutdown(app);
  await app.listen({ port: config.PORT, host: config.HOST });
});
