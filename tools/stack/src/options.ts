import { join } from 'node:path';
import { StackError } from './errors.ts';

/** Root of the repository. */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

/** The stack's listening ports, each moved by its own environment variable. */
export interface StackPorts {
  nginxApi: number;
  nginxApp: number;
  sessionGateway: number;
  tokenValidation: number;
  permissionService: number;
  localIdp: number;
  sampleBackend: number;
}

export const PORT_VARIABLES: Record<keyof StackPorts, { variable: string; defaultPort: number; label: string }> = {
  nginxApi: { variable: 'NGINX_API_PORT', defaultPort: 8080, label: 'NGINX API server' },
  nginxApp: { variable: 'NGINX_APP_PORT', defaultPort: 8000, label: 'NGINX app server' },
  sessionGateway: { variable: 'SESSION_GATEWAY_PORT', defaultPort: 8081, label: 'session-gateway' },
  tokenValidation: { variable: 'TOKEN_VALIDATION_PORT', defaultPort: 8088, label: 'token-validation' },
  permissionService: { variable: 'PERMISSION_SERVICE_PORT', defaultPort: 8086, label: 'permission-service' },
  localIdp: { variable: 'LOCAL_IDP_PORT', defaultPort: 9400, label: 'local identity provider' },
  sampleBackend: { variable: 'SAMPLE_BACKEND_PORT', defaultPort: 9401, label: 'sample backend' },
};

export interface StackOptions {
  ports?: Partial<StackPorts>;
  /** Folder for secrets, keys, logs and the databases the stack starts (default .stack in the repository). */
  stackDir?: string;
  /** Redis to use instead of starting one. */
  redisUrl?: string;
  /** PostgreSQL database to use instead of starting a server; migrations run against it. */
  databaseUrl?: string;
  /** Log level of the services (default info). */
  logLevel?: string;
  /** `inherit` prints every service's log lines with its name; `files` writes them to stackDir/logs (default). */
  output?: 'inherit' | 'files';
  /** Installs missing Debian packages with apt-get when running as root (default true). */
  installPackages?: boolean;
  /** Extra environment per service, for tests: keys are session-gateway, token-validation, permission-service, local-idp, sample-backend. */
  serviceEnv?: Record<string, Record<string, string>>;
}

function parsePort(variable: string, raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new StackError(`invalid configuration: ${variable} is malformed; expected a TCP port number from 1 to 65535`);
  }
  return Number(raw);
}

/** Reads the stack's settings from environment variables, for `npm start` and `npm run demo`. */
export function stackOptionsFromEnv(source: Record<string, string | undefined> = process.env): StackOptions {
  const ports: Partial<StackPorts> = {};
  for (const [key, { variable }] of Object.entries(PORT_VARIABLES) as Array<[keyof StackPorts, { variable: string }]>) {
    const raw = source[variable];
    if (raw !== undefined && raw !== '') ports[key] = parsePort(variable, raw);
  }
  return {
    ports,
    stackDir: source['STACK_DIR'] || undefined,
    redisUrl: source['REDIS_URL'] || undefined,
    databaseUrl: source['DATABASE_URL'] || undefined,
    logLevel: source['LOG_LEVEL'] || undefined,
  };
}

export function resolvePorts(ports: Partial<StackPorts> = {}): StackPorts {
  const resolved = {} as StackPorts;
  for (const [key, { defaultPort }] of Object.entries(PORT_VARIABLES) as Array<[keyof StackPorts, { defaultPort: number }]>) {
    resolved[key] = ports[key] ?? defaultPort;
  }
  return resolved;
}
