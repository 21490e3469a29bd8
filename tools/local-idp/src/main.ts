import { createLogger, runMain } from '@platform/service-kit';
import { loadLocalIdpConfig } from './config.ts';
import { startLocalIdp } from './server.ts';

// Runs the local OpenID Connect provider until SIGINT or SIGTERM.
runMain(async () => {
  const config = loadLocalIdpConfig();
  const logger = createLogger('local-idp', config.LOG_LEVEL);
  const idp = await startLocalIdp({
    issuer: config.LOCAL_IDP_ISSUER,
    port: config.PORT,
    host: config.HOST,
    audience: config.LOCAL_IDP_AUDIENCE,
    appOrigin: config.LOCAL_IDP_APP_ORIGIN,
    clientSecrets: config.LOCAL_IDP_CLIENT_SECRETS,
    stateDir: config.LOCAL_IDP_STATE_DIR,
    lifetimes: {
      accessToken: config.LOCAL_IDP_ACCESS_TOKEN_TTL,
      clientCredentials: config.LOCAL_IDP_CLIENT_CREDENTIALS_TTL,
      idToken: config.LOCAL_IDP_ID_TOKEN_TTL,
      refreshToken: config.LOCAL_IDP_REFRESH_TOKEN_TTL,
      session: config.LOCAL_IDP_SESSION_TTL,
    },
    logger,
  });
  const stop = (signal: string) => {
    logger.info({ signal, event: 'local_idp.stopping' }, 'stopping');
    void idp.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
});
