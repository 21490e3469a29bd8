import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from './errors.ts';
import type { StackPorts } from './options.ts';
import type { StackSecrets } from './secrets.ts';

// The environment of every service the stack runs. The variable names are those each service
// reads in its own configuration (src/config.ts or config/config.ts); keep them in sync.

export const API_AUDIENCE = 'urn:platform:api';

/** Scopes the gateway requests at login; the business scopes reach the API in the access token. */
export const GATEWAY_SCOPES = 'openid profile email offline_access transactions:read transactions:write';

export interface ServiceContext {
  repoRoot: string;
  stackDir: string;
  ports: StackPorts;
  secrets: StackSecrets;
  redisUrl: string;
  databaseUrl: string;
  logLevel: string;
}

export interface ServiceDefinition {
  /** Name used in logs and in StackOptions.serviceEnv. */
  name: string;
  /** Entry point, relative to the repository root. */
  entry: string;
  env: Record<string, string>;
  /** URL that returns 200 once the service is ready. */
  readyUrl: string;
}

export function issuerUrl(ports: StackPorts): string {
  return `http://localhost:${ports.localIdp}`;
}

export function appOrigin(ports: StackPorts): string {
  return `http://localhost:${ports.nginxApp}`;
}

export function trustedIssuers(ports: StackPorts): string {
  const issuer = issuerUrl(ports);
  return JSON.stringify([{ issuer, jwksUri: `${issuer}/jwks`, audience: API_AUDIENCE, algorithms: ['RS256'] }]);
}

export function serviceDefinitions(context: ServiceContext): ServiceDefinition[] {
  const { ports, secrets } = context;
  const common = { HOST: '127.0.0.1', LOG_LEVEL: context.logLevel, REDIS_URL: context.redisUrl };
  const local = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;
  return [
    {
      name: 'local-idp',
      entry: 'tools/local-idp/src/main.ts',
      env: {
        HOST: '127.0.0.1',
        LOG_LEVEL: context.logLevel,
        PORT: String(ports.localIdp),
        LOCAL_IDP_ISSUER: issuerUrl(ports),
        LOCAL_IDP_AUDIENCE: API_AUDIENCE,
        LOCAL_IDP_APP_ORIGIN: appOrigin(ports),
        LOCAL_IDP_CLIENT_SECRETS: JSON.stringify(secrets.clientSecrets),
        LOCAL_IDP_STATE_DIR: join(context.stackDir, 'local-idp'),
      },
      readyUrl: local(ports.localIdp, '/.well-known/openid-configuration'),
    },
    {
      name: 'sample-backend',
      entry: 'tools/sample-backend/src/main.ts',
      env: { HOST: '127.0.0.1', LOG_LEVEL: context.logLevel, PORT: String(ports.sampleBackend) },
      readyUrl: local(ports.sampleBackend, '/readyz'),
    },
    {
      name: 'token-validation',
      entry: 'apps/token-validation/src/main.ts',
      env: { ...common, PORT: String(ports.tokenValidation), TRUSTED_ISSUERS: trustedIssuers(ports) },
      readyUrl: local(ports.tokenValidation, '/readyz'),
    },
    {
      name: 'permission-service',
      entry: 'apps/permission-service/src/main.ts',
      env: {
        ...common,
        PORT: String(ports.permissionService),
        DATABASE_URL: context.databaseUrl,
        TRUSTED_ISSUERS: trustedIssuers(ports),
        MIGRATE_ON_START: 'false',
      },
      readyUrl: local(ports.permissionService, '/readyz'),
    },
    {
      name: 'session-gateway',
      entry: 'apps/session-gateway/src/main.ts',
      env: {
        ...common,
        PORT: String(ports.sessionGateway),
        PUBLIC_BASE_URL: appOrigin(ports),
        TRUST_PROXY: 'loopback',
        OIDC_ISSUER: issuerUrl(ports),
        OIDC_CLIENT_ID: 'session-gateway',
        OIDC_CLIENT_SECRET: secrets.clientSecrets['session-gateway'],
        OIDC_SCOPES: GATEWAY_SCOPES,
        OIDC_AUDIENCE: API_AUDIENCE,
        OIDC_ALLOW_INSECURE_HTTP: 'true',
        SESSION_ENCRYPTION_KEYS: `local1:${secrets.sessionEncryptionKey}`,
        COOKIE_SECURE: 'false',
        API_UPSTREAM_URL: `http://127.0.0.1:${ports.nginxApi}`,
        TRUSTED_ISSUERS: trustedIssuers(ports),
        PERMISSION_SERVICE_URL: `http://127.0.0.1:${ports.permissionService}`,
        PERMISSION_SERVICE_CLIENT_ID: 'session-gateway-service',
        PERMISSION_SERVICE_CLIENT_SECRET: secrets.clientSecrets['session-gateway-service'],
      },
      readyUrl: local(ports.sessionGateway, '/readyz'),
    },
  ];
}

/** Entry point of permission-service's migration command. */
export const MIGRATE_ENTRY = 'apps/permission-service/src/database/migrate-cli.ts';

/** Every program the stack runs, checked before anything starts. */
export const STACK_ENTRIES = [
  { name: 'local-idp', entry: 'tools/local-idp/src/main.ts' },
  { name: 'sample-backend', entry: 'tools/sample-backend/src/main.ts' },
  { name: 'token-validation', entry: 'apps/token-validation/src/main.ts' },
  { name: 'permission-service', entry: 'apps/permission-service/src/main.ts' },
  { name: 'permission-service migrations', entry: MIGRATE_ENTRY },
  { name: 'session-gateway', entry: 'apps/session-gateway/src/main.ts' },
];

/** Fails with one line per missing entry point, naming the service that is not there yet. */
export function assertEntriesExist(repoRoot: string, entries: Array<{ name: string; entry: string }>): void {
  const missing = entries.filter((candidate) => !existsSync(join(repoRoot, candidate.entry)));
  if (missing.length > 0) {
    throw new StackError(missing.map((candidate) => `${candidate.name} cannot start: ${candidate.entry} is missing`).join('\n'));
  }
}
