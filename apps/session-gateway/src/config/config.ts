import { ConfigError, env, loadConfig, type ConfigOf } from '@platform/service-kit';
import { TRUSTED_ISSUERS_EXPECTED, isTrustedIssuerList } from '@platform/token-verifier';
import { encryptionKeys } from './encryption-keys.ts';

const httpUrl = (example: string, defaultValue?: string) =>
  env.url({ protocols: ['http:', 'https:'], example, ...(defaultValue === undefined ? {} : { default: defaultValue }) });

const redisUrl = () => env.url({ protocols: ['redis:', 'rediss:'], example: 'redis://127.0.0.1:6379' });

export const CONFIG_SPEC = {
  PORT: env.port({ default: 8081 }),
  HOST: env.string({ default: '127.0.0.1' }),
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  REDIS_URL: redisUrl(),
  QUEUE_REDIS_URL: env.optional(redisUrl()),
  PUBLIC_BASE_URL: httpUrl('http://localhost:8000', 'http://localhost:8000'),
  TRUST_PROXY: env.string({ default: 'loopback', expected: 'loopback, or a comma-separated list of proxy addresses or CIDR ranges' }),

  OIDC_ISSUER: httpUrl('https://tenant.auth0.com/'),
  OIDC_CLIENT_ID: env.string({ default: 'session-gateway' }),
  OIDC_CLIENT_SECRET: env.string({ expected: 'the client secret registered at the identity provider' }),
  OIDC_REDIRECT_URI: env.optional(httpUrl('http://localhost:8000/auth/callback')),
  OIDC_POST_LOGOUT_REDIRECT_URI: env.optional(httpUrl('http://localhost:8000/')),
  OIDC_SCOPES: env.string({ default: 'openid profile email offline_access', pattern: /^openid( [\x21\x23-\x5B\x5D-\x7E]+)*$/, expected: 'space-separated scopes starting with openid' }),
  OIDC_AUDIENCE: env.optional(env.string({ expected: 'the API audience, sent as `audience` and `resource`, for example urn:platform:api' })),
  OIDC_ALLOW_INSECURE_HTTP: env.boolean({ default: false }),
  OIDC_TIMEOUT_SECONDS: env.integer({ min: 1, max: 60, default: 5 }),

  SESSION_ENCRYPTION_KEYS: encryptionKeys(),
  SESSION_IDLE_TIMEOUT_SECONDS: env.integer({ min: 60, max: 7 * 24 * 3600, default: 30 * 60 }),
  SESSION_ABSOLUTE_LIFETIME_SECONDS: env.integer({ min: 60, max: 30 * 24 * 3600, default: 8 * 3600 }),
  COOKIE_SECURE: env.boolean({ default: true }),
  REFRESH_MARGIN_SECONDS: env.integer({ min: 0, max: 3600, default: 300 }),
  REFRESH_LOCK_SECONDS: env.integer({ min: 1, max: 120, default: 10 }),

  API_UPSTREAM_URL: httpUrl('http://127.0.0.1:8080', 'http://127.0.0.1:8080'),
  API_UPSTREAM_TIMEOUT_SECONDS: env.integer({ min: 1, max: 600, default: 30 }),

  TRUSTED_ISSUERS: env.json({ expected: TRUSTED_ISSUERS_EXPECTED, validate: isTrustedIssuerList }),

  PERMISSION_SERVICE_URL: env.optional(httpUrl('http://127.0.0.1:8086')),
  PERMISSION_SERVICE_CLIENT_ID: env.string({ default: 'session-gateway-service' }),
  PERMISSION_SERVICE_CLIENT_SECRET: env.optional(env.string({ expected: 'the client secret of the gateway service client' })),
  PERMISSION_SERVICE_SCOPE: env.string({ default: 'users:provision users:read' }),
  PERMISSION_SERVICE_TIMEOUT_MS: env.integer({ min: 50, max: 30_000, default: 2_000 }),
  PERMISSION_SERVICE_RETRIES: env.integer({ min: 0, max: 5, default: 2 }),

  QUEUE_TIMEOUT_MS: env.integer({ min: 50, max: 30_000, default: 2_000 }),
};

export type RawGatewayConfig = ConfigOf<typeof CONFIG_SPEC>;

/** Configuration with defaults that depend on other variables resolved. */
export interface GatewayConfig extends RawGatewayConfig {
  readonly QUEUE_REDIS_URL: string;
  readonly OIDC_REDIRECT_URI: string;
  readonly OIDC_POST_LOGOUT_REDIRECT_URI: string;
  readonly publicOrigin: string;
}

/** Reads and validates the gateway configuration; throws ConfigError naming the first bad variable. */
export function loadGatewayConfig(source: Record<string, string | undefined> = process.env): GatewayConfig {
  const raw = loadConfig(CONFIG_SPEC, source);
  const publicBase = new URL(raw.PUBLIC_BASE_URL);
  if (publicBase.pathname !== '/' || publicBase.search !== '' || publicBase.hash !== '') {
    throw new ConfigError('PUBLIC_BASE_URL', 'an origin without path, query or fragment, such as http://localhost:8000', 'invalid');
  }
  if (raw.PERMISSION_SERVICE_URL !== undefined && raw.PERMISSION_SERVICE_CLIENT_SECRET === undefined) {
    throw new ConfigError('PERMISSION_SERVICE_CLIENT_SECRET', 'the client secret of the gateway service client, required when PERMISSION_SERVICE_URL is set', 'missing');
  }
  if (raw.SESSION_IDLE_TIMEOUT_SECONDS > raw.SESSION_ABSOLUTE_LIFETIME_SECONDS) {
    throw new ConfigError('SESSION_IDLE_TIMEOUT_SECONDS', `at most SESSION_ABSOLUTE_LIFETIME_SECONDS (${raw.SESSION_ABSOLUTE_LIFETIME_SECONDS})`, 'invalid');
  }
  const publicOrigin = publicBase.origin;
  return {
    ...raw,
    QUEUE_REDIS_URL: raw.QUEUE_REDIS_URL ?? raw.REDIS_URL,
    OIDC_REDIRECT_URI: raw.OIDC_REDIRECT_URI ?? `${publicOrigin}/auth/callback`,
    OIDC_POST_LOGOUT_REDIRECT_URI: raw.OIDC_POST_LOGOUT_REDIRECT_URI ?? `${publicOrigin}/`,
    publicOrigin,
  };
}
