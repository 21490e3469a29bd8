import { createLogger, installGracefulShutdown, runMain, startTelemetry } from '@platform/service-kit';
import { buildGateway } from './app.ts';
import { loadGatewayConfig } from './config/config.ts';

// Starts the session gateway from environment variables. A bad variable stops the start with one
// line naming it (exit status 2); see README.md for the variables.
runMain(async () => {
  const config = loadGatewayConfig();
  const stopTelemetry = startTelemetry('session-gateway');
  const logger = createLogger('session-gateway', config.LOG_LEVEL);
  const { app, context } = await buildGateway(config, { logger });
  app.addHook('onClose', async () => stopTelemetry());
  installGracefulShutdown(app);
  await app.listen({ port: config.PORT, host: config.HOST });
  // Discover the identity provider early so the first login does not wait for it; a failure here is
  // retried on the first login.
  context.oidc.configuration().catch((error: unknown) => {
    logger.warn({ err: error, issuer: config.OIDC_ISSUER, code: 'identity_provider_unavailable' }, 'identity provider discovery failed; will retry on the first login');
  });
});
