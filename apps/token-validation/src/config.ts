import { join } from 'node:path';
import { env, loadConfig, type ConfigOf } from '@platform/service-kit';
import { TRUSTED_ISSUERS_EXPECTED, isTrustedIssuerList } from '@platform/token-verifier';

/** Route rules shipped for the local stack, used when ROUTE_RULES_FILE is not set. */
export const DEFAULT_ROUTE_RULES_FILE = join(import.meta.dirname, '..', 'config', 'route-rules.json');

export const configSpec = {
  PORT: env.port({ default: 8088 }),
  HOST: env.string({ default: '127.0.0.1' }),
  REDIS_URL: env.url({ protocols: ['redis:', 'rediss:'], example: 'redis://127.0.0.1:6379' }),
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  TRUSTED_ISSUERS: env.json({ expected: TRUSTED_ISSUERS_EXPECTED, validate: isTrustedIssuerList }),
  ROUTE_RULES_FILE: env.string({ default: DEFAULT_ROUTE_RULES_FILE, expected: 'the path of a JSON route rules file' }),
  CLOCK_SKEW_SECONDS: env.integer({ default: 30, min: 0, max: 300 }),
  MAX_TOKEN_BYTES: env.integer({ default: 8192, min: 512, max: 65536 }),
  MAX_TOKEN_LIFETIME_SECONDS: env.integer({ default: 86_400, min: 60, max: 30 * 86_400 }),
  JWKS_COOLDOWN_MS: env.integer({ default: 30_000, min: 0, max: 3_600_000 }),
  JWKS_MAX_AGE_MS: env.integer({ default: 600_000, min: 10_000, max: 86_400_000 }),
  JWKS_TIMEOUT_MS: env.integer({ default: 5_000, min: 100, max: 60_000 }),
  VERIFICATION_CACHE_SIZE: env.integer({ default: 100_000, min: 0, max: 10_000_000 }),
  BLACKLIST_FRESHNESS_BOUND_MS: env.integer({ default: 100, min: 20, max: 60_000 }),
  BLACKLIST_HEARTBEAT_MS: env.integer({ default: 20, min: 5, max: 10_000 }),
  RETRY_AFTER_SECONDS: env.integer({ default: 1, min: 1, max: 3600 }),
  DEFAULT_RATE_TIER: env.string({ default: 'default', pattern: /^[A-Za-z0-9_-]{1,64}$/ }),
  AUDIT_MAX_DELAY_MS: env.integer({ default: 50, min: 1, max: 50 }),
  AUDIT_MAX_BATCH_SIZE: env.integer({ default: 500, min: 1, max: 1000 }),
  REVOCATION_WORKER_CONCURRENCY: env.integer({ default: 4, min: 1, max: 64 }),
};

export type TokenValidationConfig = ConfigOf<typeof configSpec>;

export function loadTokenValidationConfig(source: Record<string, string | undefined> = process.env): TokenValidationConfig {
  return loadConfig(configSpec, source);
}
