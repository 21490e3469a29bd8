import type { Redis } from 'ioredis';
import type { ConnectionOptions, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { AuditEvent } from '@platform/audit-schema';
import { AuditPublisher, type TokenRevocationJob } from '@platform/queues';
import { connectRedis, createService, pingRedis, redisOptionsFromUrl, type Service } from '@platform/service-kit';
import { TokenVerifier, VerifiedTokenCache } from '@platform/token-verifier';
import { PRODUCER } from './audit/access-events.ts';
import { BlacklistReplica, type BlacklistReader } from './blacklist/replica.ts';
import { BlacklistStore } from './blacklist/store.ts';
import type { TokenValidationConfig } from './config.ts';
import { installAdminRoutes } from './revocations/admin-routes.ts';
import { RevocationService } from './revocations/revocation-service.ts';
import { startRevocationWorker } from './revocations/worker.ts';
import type { Identity } from './validation/identity.ts';
import { RouteRules } from './validation/route-rules.ts';
import { installValidateRoute } from './validation/validate-route.ts';

export interface TokenValidationApp {
  readonly app: Service;
  readonly replica: BlacklistReplica;
  readonly store: BlacklistStore;
  readonly verifier: TokenVerifier;
  readonly audit: AuditPublisher;
  readonly worker: Worker<TokenRevocationJob> | undefined;
  readonly commands: Redis;
}

export interface BuildOptions {
  config: TokenValidationConfig;
  logger: Logger;
  /** Starts the revocation queue worker (default true). */
  startWorker?: boolean;
  /**
   * Replaces the Redis-backed blacklist in the validation route. Only the benchmark uses it, to
   * measure validation with the blacklist check switched off.
   */
  blacklistOverride?: BlacklistReader;
}

// Redis connections fail fast instead of queueing commands while offline: the replica's freshness
// bound decides what happens during an outage, and a revocation call must fail rather than hang.
const FAST_RECONNECT = { retryStrategy: (attempt: number) => Math.min(100 * attempt, 1_000) };

/** Builds the token-validation service: validation route, revocation admin API and queue worker. */
export async function buildApp(options: BuildOptions): Promise<TokenValidationApp> {
  const { config, logger } = options;
  const rules = RouteRules.fromFile(config.ROUTE_RULES_FILE);

  const commands = connectRedis(config.REDIS_URL, 'token-validation', logger, { ...FAST_RECONNECT, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const subscriber = connectRedis(config.REDIS_URL, 'token-validation-blacklist-subscriber', logger, {
    ...FAST_RECONNECT,
    enableOfflineQueue: false,
    autoResubscribe: false,
    maxRetriesPerRequest: 1,
  });
  const replica = new BlacklistReplica({
    commands,
    subscriber,
    logger,
    freshnessBoundMs: config.BLACKLIST_FRESHNESS_BOUND_MS,
    heartbeatMs: config.BLACKLIST_HEARTBEAT_MS,
  });
  const store = new BlacklistStore(commands, { maxTokenLifetimeSeconds: config.MAX_TOKEN_LIFETIME_SECONDS, clockSkewSeconds: config.CLOCK_SKEW_SECONDS });

  const verifier = new TokenVerifier(config.TRUSTED_ISSUERS, {
    clockSkewSeconds: config.CLOCK_SKEW_SECONDS,
    maxTokenBytes: config.MAX_TOKEN_BYTES,
    maxTokenLifetimeSeconds: config.MAX_TOKEN_LIFETIME_SECONDS,
    jwksCooldownMs: config.JWKS_COOLDOWN_MS,
    jwksMaxAgeMs: config.JWKS_MAX_AGE_MS,
    jwksTimeoutMs: config.JWKS_TIMEOUT_MS,
  });
  const cache = new VerifiedTokenCache<Identity>(config.VERIFICATION_CACHE_SIZE);

  const queueConnection = redisOptionsFromUrl(config.REDIS_URL) as ConnectionOptions;
  const audit = new AuditPublisher({ connection: queueConnection, producer: PRODUCER, logger, maxBatchSize: config.AUDIT_MAX_BATCH_SIZE, maxDelayMs: config.AUDIT_MAX_DELAY_MS });
  const publish = (event: AuditEvent) => {
    try {
      audit.publish(event);
    } catch (error) {
      logger.error({ err: error, code: 'audit_event_invalid', kind: event.kind }, 'audit event failed validation and was not sent');
    }
  };

  const revocations = new RevocationService({ store, replica, publishNow: (events) => audit.publishNow(events), applyWaitMs: config.BLACKLIST_FRESHNESS_BOUND_MS });

  const app = await createService({
    name: 'token-validation',
    description: 'Validates bearer tokens for NGINX auth_request and keeps the JWT blacklist',
    logger,
    // A token over the size limit must reach the route and get a 401, not a 431 from Node's parser.
    fastify: { http: { maxHeaderSize: Math.max(256 * 1024, config.MAX_TOKEN_BYTES * 32) } },
    readiness: {
      redis: () => pingRedis(commands),
      blacklist: async () => {
        const reason = await replica.readiness();
        if (reason !== undefined) throw new Error(reason);
      },
    },
  });

  const auth = { verifier, cache, blacklist: options.blacklistOverride ?? replica, defaultRateTier: config.DEFAULT_RATE_TIER };
  installValidateRoute(app, { ...auth, rules, audit: { publish }, retryAfterSeconds: config.RETRY_AFTER_SECONDS });
  await installAdminRoutes(app, { auth: { ...auth, blacklist: replica }, replica, revocations, publish, retryAfterSeconds: config.RETRY_AFTER_SECONDS });

  verifier.start();
  replica.start();
  const worker = options.startWorker === false
    ? undefined
    : startRevocationWorker({ connection: redisOptionsFromUrl(config.REDIS_URL, { maxRetriesPerRequest: null }) as ConnectionOptions, revocations, logger, concurrency: config.REVOCATION_WORKER_CONCURRENCY });

  // Shutdown order: stop taking jobs, send the buffered audit events, then close Redis.
  app.addHook('onClose', async () => {
    await worker?.close();
    await audit.close();
    verifier.stop();
    await replica.close();
    await Promise.all([commands, subscriber].map(async (redis) => {
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    }));
  });

  return { app, replica, store, verifier, audit, worker, commands };
}
