import type { Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ConnectionOptions } from 'bullmq';
import { connectRedis } from '@platform/service-kit';
import { TokenVerifier } from '@platform/token-verifier';
import { Authenticator } from './auth/authenticator.ts';
import { clientStandingLookup } from './clients/caller-standing.ts';
import type { Config } from './config.ts';
import { openDatabase, type Database, type DatabaseHandle } from './database/database.ts';
import { ProducerQueues, reconnectDelay } from './outbox/producer-queues.ts';
import { OutboxRelay } from './outbox/relay.ts';
import { PermissionService } from './permissions/service.ts';
import { userStandingLookup } from './users/caller-standing.ts';

/**
 * Everything route plugins and background work share: configuration, the database, Redis
 * connections, BullMQ producers and the authenticator. Built once per process (or per test app).
 */
export interface ServiceContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Kysely<Database>;
  readonly database: DatabaseHandle;
  /** Connection for plain commands (leases, pub/sub publishes); fails fast while Redis is down. */
  readonly redis: Redis;
  /** Connection options for BullMQ workers (blocking commands need maxRetriesPerRequest: null). */
  readonly workerConnection: ConnectionOptions;
  readonly queues: ProducerQueues;
  readonly permissions: PermissionService;
  /** Publishes outbox rows; routes nudge it after a commit so fan-out starts at once. */
  readonly relay: OutboxRelay;
  readonly authenticator: Authenticator;
  close(): Promise<void>;
}

export interface ContextOverrides {
  verifier?: TokenVerifier;
}

export function createContext(config: Config, logger: Logger, overrides: ContextOverrides = {}): ServiceContext {
  const database = openDatabase({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE, logger });
  const redis = connectRedis(config.REDIS_URL, 'permission-service', logger, { maxRetriesPerRequest: 1 });
  const queues = new ProducerQueues(config.REDIS_URL, logger);
  const permissions = new PermissionService({ db: database.db, redis, logger, cacheTtlMs: config.PERMISSION_CACHE_TTL_MS });
  const relay = new OutboxRelay({
    db: database.db,
    redis,
    queues,
    logger,
    intervalMs: config.OUTBOX_RELAY_INTERVAL_MS,
    leaseMs: config.OUTBOX_RELAY_LEASE_MS,
  });
  const authenticator = new Authenticator({
    verifier: overrides.verifier ?? new TokenVerifier(config.TRUSTED_ISSUERS),
    userStanding: userStandingLookup(database.db, permissions),
    clientStanding: clientStandingLookup(database.db),
  });

  let closed: Promise<void> | undefined;
  return {
    config,
    logger,
    db: database.db,
    database,
    redis,
    workerConnection: { url: config.REDIS_URL, maxRetriesPerRequest: null, retryStrategy: reconnectDelay },
    queues,
    permissions,
    relay,
    authenticator,
    close() {
      closed ??= (async () => {
        await relay.stop();
        await queues.close();
        try {
          await redis.quit();
        } catch {
          redis.disconnect();
        }
        await database.close();
      })();
      return closed;
    },
  };
}
