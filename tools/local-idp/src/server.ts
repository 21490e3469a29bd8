import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createLogger } from '@platform/service-kit';
import { completeClientSecrets, type ClientSecrets } from './clients.ts';
import { handleInteraction } from './interactions.ts';
import { loadOrCreateProviderKeys } from './keys.ts';
import { createProvider, DEFAULT_LIFETIMES, type TokenLifetimes } from './provider.ts';

export interface LocalIdpOptions {
  /** Issuer identifier; its host and port are where the provider is reached (default http://localhost:9400). */
  issuer?: string;
  /** Port to listen on; 0 picks a free one and the issuer follows it (default: the issuer's port). */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Audience of the platform API's access tokens (default urn:platform:api). */
  audience?: string;
  /** Browser-facing origin of the session gateway, for its redirect URIs (default http://localhost:8000). */
  appOrigin?: string;
  extraRedirectUris?: string[];
  /** Client secrets; a random one is generated for each client not listed. */
  clientSecrets?: Partial<ClientSecrets>;
  /** Folder that keeps the signing and cookie keys across restarts; without it keys live in memory only. */
  stateDir?: string;
  /** Token lifetimes in seconds; unlisted ones keep their defaults. */
  lifetimes?: Partial<TokenLifetimes>;
  logger?: Logger;
}

export interface LocalIdp {
  readonly issuer: string;
  readonly port: number;
  readonly jwksUri: string;
  readonly audience: string;
  readonly clientSecrets: ClientSecrets;
  close(): Promise<void>;
}

/** Starts the local OpenID Connect provider over plain HTTP. */
export async function startLocalIdp(options: LocalIdpOptions = {}): Promise<LocalIdp> {
  const logger = options.logger ?? createLogger('local-idp');
  const configuredIssuer = new URL(options.issuer ?? 'http://localhost:9400');
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? Number(configuredIssuer.port || 80);
  const audience = options.audience ?? 'urn:platform:api';
  const clientSecrets = completeClientSecrets(options.clientSecrets);
  const keys = await loadOrCreateProviderKeys(options.stateDir === undefined ? undefined : join(options.stateDir, 'keys.json'));

  // The issuer contains the port, so the provider is created after listening. Its request handler
  // is attached before the port is announced to anyone.
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requestedPort, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : requestedPort;
  configuredIssuer.port = String(port);
  const issuer = configuredIssuer.toString().replace(/\/$/, '');

  const provider = createProvider({
    issuer,
    audience,
    appOrigin: options.appOrigin ?? 'http://localhost:8000',
    extraRedirectUris: options.extraRedirectUris,
    secrets: clientSecrets,
    keys,
    lifetimes: { ...DEFAULT_LIFETIMES, ...options.lifetimes },
  });
  provider.on('server_error', (_ctx: unknown, error: unknown) => logger.error({ err: error, event: 'provider.server_error' }, 'provider error'));
  const providerHandler = provider.callback();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    handleInteraction(provider, logger, request, response)
      .then((handled) => {
        if (!handled) providerHandler(request, response);
      })
      .catch((error: unknown) => {
        logger.error({ err: error, url: request.url, event: 'interaction.failed' }, 'interaction request failed');
        if (!response.headersSent) response.writeHead(400, { 'content-type': 'text/plain' });
        response.end('The login could not be completed; start again from the application.');
      });
  });

  logger.info({ issuer, port, event: 'local_idp.started' }, 'local identity provider started');
  return {
    issuer,
    port,
    jwksUri: `${issuer}/jwks`,
    audience,
    clientSecrets,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
