import { createLogger } from '@platform/service-kit';
import { Redis } from 'ioredis';
import { buildApp } from '../src/app.ts';
import { BlacklistStore } from '../src/blacklist/store.ts';
import { loadTokenValidationConfig } from '../src/config.ts';

// Runs token-validation for the validate benchmark (tools/bench), configured from the environment
// like src/main.ts, with two additions:
//   BENCH_BLACKLIST_ENTRIES: number of blacklist entries written before the service starts;
//   BENCH_BLACKLIST=off: the validation route skips the blacklist check, to measure what it costs.
// Nothing here is part of the deployed service.

const config = loadTokenValidationConfig();
const logger = createLogger('token-validation-bench', config.LOG_LEVEL);
const entries = Number(process.env['BENCH_BLACKLIST_ENTRIES'] ?? '0');

if (entries > 0) {
  const redis = new Redis(config.REDIS_URL);
  const store = new BlacklistStore(redis, { maxTokenLifetimeSeconds: config.MAX_TOKEN_LIFETIME_SECONDS, clockSkewSeconds: config.CLOCK_SKEW_SECONDS });
  const now = Date.now();
  const types = ['jti', 'jti', 'jti', 'user', 'client'] as const;
  for (let start = 0; start < entries; start += 500) {
    const batch = [];
    for (let i = start; i < Math.min(entries, start + 500); i += 1) {
      const type = types[i % types.length]!;
      batch.push(store.revoke({ type, id: `seeded-${type}-${i}`, revokedAt: now, ...(type === 'jti' ? {} : { notBefore: now }) }));
    }
    await Promise.all(batch);
  }
  redis.disconnect();
}

const off = process.env['BENCH_BLACKLIST'] === 'off';
const { app } = await buildApp({
  config,
  logger,
  startWorker: false,
  ...(off ? { blacklistOverride: { isFresh: () => true, confirmFresh: async () => true, unavailableReason: () => undefined, check: () => undefined } } : {}),
});
await app.listen({ port: config.PORT, host: config.HOST });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
