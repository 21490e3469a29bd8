import { createLogger, env, installGracefulShutdown, loadConfig, runMain } from '@platform/service-kit';
import { buildSampleBackend } from './app.ts';

runMain(async () => {
  const config = loadConfig({
    PORT: env.port({ default: 9401 }),
    HOST: env.string({ default: '127.0.0.1' }),
    LOG_LEVEL: env.oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], { default: 'info' }),
  });
  const app = await buildSampleBackend(createLogger('sample-backend', config.LOG_LEVEL));
  installGracefulShutdown(app);
  await app.listen({ port: config.PORT, host: config.HOST });
});
