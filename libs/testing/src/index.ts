export { findExecutable, findPostgresBinDir } from './binaries.ts';
export { freePort, waitFor } from './ports.ts';
export { startRedisServer, testRedisUrl, type RedisServer } from './redis-server.ts';
export { createTestDatabase, startPostgresServer, type PostgresServer, type TestDatabase } from './postgres-server.ts';
export { createSigningKey, signTestToken, startJwksServer, type JwksServer, type TestSigningKey, type TokenOptions } from './tokens.ts';
export { findNginx, listenPorts, startNginx, wrapNginxConfig, NJS_MODULE_PATH, type NginxOptions, type NginxServer } from './nginx-server.ts';
export { fillPlaceholders, renderPlatformNginxConfig, NGINX_SOURCE_DIR, type PlatformNginxValues } from './nginx-config.ts';
export { BrowserClient, loginWithForm, parseForms, type BrowserRequestOptions, type BrowserResponse, type HtmlForm } from './browser-client.ts';
export { clientCredentialsToken, startLocalIdpProcess, LOCAL_IDP_MAIN, type LocalIdpProcess, type LocalIdpProcessOptions } from './local-idp-process.ts';
