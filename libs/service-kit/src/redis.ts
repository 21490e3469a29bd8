import { Redis, type RedisOptions } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/**
 * Opens an ioredis connection that retries forever with capped backoff and logs state changes once
 * per change rather than once per failed attempt.
 */
export function connectRedis(url: string, name: string, logger: Logger, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000),
    ...options,
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) logger.error({ err: error, connection: name, code: 'redis_unavailable' }, 'redis connection failed');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ connection: name }, 'redis connection restored');
    down = false;
  });
  return redis;
}

export async function pingRedis(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') throw new Error(`redis connection is ${redis.status}`);
  await redis.ping();
}

export function closeRedisOnShutdown(app: FastifyInstance, ...connections: Redis[]): void {
  app.addHook('onClose', async () => {
    await Promise.all(connections.map(async (redis) => {
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    }));
  });
}

/**
 * Turns a redis:// or rediss:// URL into ioredis options, for clients that take options only, such
 * as BullMQ's ConnectionOptions (ioredis ignores a `url` field in an options object).
 */
export function redisOptionsFromUrl(url: string, extra: RedisOptions = {}): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    ...extra,
  };
}
