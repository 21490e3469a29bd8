import { env, loadConfig, type ConfigOf } from '@platform/service-kit';
import { TRUSTED_ISSUERS_EXPECTED, isTrustedIssuerList } from '@platform/token-verifier';
import { auditConfigSpec } from './audit/config.ts';
import { clientConfigSpec } from './clients/config.ts';

// Every setting of permission-service, read from environment variables once at start. The audit and
// client-registry concerns declare their own variables in their folders. They are merged here, so a
// bad variable in any of them stops the process with one line.

export const coreConfigSpec = {
  PORT: env.port({ default: 8086 }),
  HOST: env.string({ default: '127.0.0.1' }),
  DATABASE_URL: env.url({ protocols: ['postgres:', 'postgresql:'], example: 'postgres://platform:secret@127.0.0.1:5432/platform' }),
  DATABASE_POOL_SIZE: env.integer({ min: 1, max: 200, default: 10 }),
  REDIS_URL: env.url({ protocols: ['redis:', 'rediss:'], example: 'redis://127.0.0.1:6379' }),
  MIGRATE_ON_START: env.boolean({ default: false }),
  TRUSTED_ISSUERS: env.json({ expected: TRUSTED_ISSUERS_EXPECTED, validate: isTrustedIssuerList }),
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  /** How long a replica keeps a user's resolved role permissions in memory (ms); 0 turns the cache off. */
  PERMISSION_CACHE_TTL_MS: env.integer({ min: 0, max: 3_600_000, default: 5_000 }),
  /** Interval of the outbox relay's poll for unpublished rows (ms). */
  OUTBOX_RELAY_INTERVAL_MS: env.integer({ min: 50, max: 60_000, default: 1_000 }),
  /** Lifetime of the relay's leader lease in Redis (ms); a stopped leader is replaced after at most this long. */
  OUTBOX_RELAY_LEASE_MS: env.integer({ min: 1_000, max: 300_000, default: 10_000 }),
  /** Interval at which missing suspension expiry jobs are rebuilt from the database (ms). */
  SUSPENSION_RECONCILE_INTERVAL_MS: env.integer({ min: 1_000, max: 86_400_000, default: 300_000 }),
};

export const configSpec = { ...coreConfigSpec, ...auditConfigSpec, ...clientConfigSpec };

export type Config = ConfigOf<typeof configSpec>;

export function readConfig(source: Record<string, string | undefined> = process.env): Config {
  return Object.freeze(loadConfig(configSpec, source));
}
