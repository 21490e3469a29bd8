import cookie from '@fastify/cookie';
import type { Redis } from 'ioredis';
import type { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { AuditPublisher, QUEUE_NAMES, createQueue, type SessionRevocationJob, type TokenRevocationJob } from '@platform/queues';
import { connectRedis, createService, pingRedis, type Service } from '@platform/service-kit';
import { TokenVerifier } from '@platform/token-verifier';
import { registerSessionAdminRoutes } from './admin/session-admin-routes.ts';
import { registerLoginRoutes } from './auth/login-routes.ts';
import { OidcClient } from './auth/oidc-client.ts';
import { PendingLoginStore } from './auth/pending-login.ts';
import { PENDING_LOGIN_SECONDS } from './auth/login-routes.ts';
import { registerSessionRoutes } from './auth/session-routes.ts';
import type { GatewayConfig } from './config/config.ts';
import type { GatewayContext } from './gateway-context.ts';
import { registerApiProxy } from './proxy/api-proxy.ts';
import { TokenRefresher } from './proxy/token-refresher.ts';
import { RevocationService } from './revocation/revocation-service.ts';
import { startSessionRevocationWorker } from './revocation/session-revocation-worker.ts';
import { cookiePolicy } from './security/cookies.ts';
import { SessionStore } from './sessions/session-store.ts';
import { TokenCipher } from './sessions/token-cipher.ts';
import { PermissionServiceClient } from './users/permission-service-client.ts';
import { ServiceTokenSource } from './users/service-token.ts';

export interface GatewayOptions {
  readonly logger: Logger;
  /** Clock in epoch ms. Tests move it to reach expiry without waiting. */
  readonly now?: () => number;
  /** Whether to start the worker that ends sessions at the request of other services (default true). */
  readonly startWorker?: boolean;
  /** Pause between polls while another request refreshes the same session (default 50 ms). */
  readonly refreshPollIntervalMs?: number;
}

export interface Gateway {
  readonly app: Service;
  readonly context: GatewayContext;
  readonly tokenRevocations: Queue<TokenRevocationJob>;
  readonly worker: Worker<SessionRevocationJob> | undefined;
}

/**
 * Builds the session gateway: Redis connections, queues, the revocation worker and every route.
 * Closing the returned app closes them all, workers first so no job is cut off mid-way.
 */
export async function buildGateway(config: GatewayConfig, options: GatewayOptions): Promise<Gateway> {
  const { logger } = options;
  const now = options.now ?? Date.now;

  // Requests fail fast when Redis is down instead of queueing behind reconnects.
  const redis = connectRedis(config.REDIS_URL, 'session-gateway:sessions', logger, { maxRetriesPerRequest: 1, commandTimeout: 5_000 });
  // Producers never queue offline: an enqueue either reaches Redis or fails at once, so a
  // revocation can report failure instead of success.
  const producerRedis = connectRedis(config.QUEUE_REDIS_URL, 'session-gateway:queue-producer', logger, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: config.QUEUE_TIMEOUT_MS,
  });
  // BullMQ workers block on Redis and must wait across reconnects.
  const workerRedis = connectRedis(config.QUEUE_REDIS_URL, 'session-gateway:queue-worker', logger, { maxRetriesPerRequest: null });

  const cipher = new TokenCipher(config.SESSION_ENCRYPTION_KEYS);
  const sessions = new SessionStore(redis, cipher, logger, {
    idleTimeoutMs: config.SESSION_IDLE_TIMEOUT_SECONDS * 1000,
    absoluteLifetimeMs: config.SESSION_ABSOLUTE_LIFETIME_SECONDS * 1000,
    now,
  });
  const oidc = new OidcClient({
    issuer: config.OIDC_ISSUER,
    clientId: config.OIDC_CLIENT_ID,
    clientSecret: config.OIDC_CLIENT_SECRET,
    redirectUri: config.OIDC_REDIRECT_URI,
    postLogoutRedirectUri: config.OIDC_POST_LOGOUT_REDIRECT_URI,
    scopes: config.OIDC_SCOPES,
    audience: config.OIDC_AUDIENCE,
    allowInsecureHttp: config.OIDC_ALLOW_INSECURE_HTTP,
    timeoutSeconds: config.OIDC_TIMEOUT_SECONDS,
  }, logger, now);
  if (config.OIDC_ALLOW_INSECURE_HTTP) logger.warn({ issuer: config.OIDC_ISSUER }, 'OIDC_ALLOW_INSECURE_HTTP is on: plain-HTTP identity provider requests are allowed; use it for local runs only');

  const users = config.PERMISSION_SERVICE_URL === undefined
    ? undefined
    : new PermissionServiceClient(
      { baseUrl: config.PERMISSION_SERVICE_URL, timeoutMs: config.PERMISSION_SERVICE_TIMEOUT_MS, retries: config.PERMISSION_SERVICE_RETRIES },
      new ServiceTokenSource(oidc, { clientId: config.PERMISSION_SERVICE_CLIENT_ID, clientSecret: config.PERMISSION_SERVICE_CLIENT_SECRET ?? '', scope: config.PERMISSION_SERVICE_SCOPE, now }),
      logger,
    );
  if (users === undefined) logger.warn('PERMISSION_SERVICE_URL is not set: logins are not checked against user status');

  const audit = new AuditPublisher({ connection: producerRedis, producer: 'session-gateway', logger });
  const tokenRevocations = createQueue<TokenRevocationJob>(QUEUE_NAMES.tokenRevocations, producerRedis);
  // The connection itself logs outages once; the queues repeat each failed reconnect, so those stay at debug.
  for (const queue of [tokenRevocations, audit.queue]) {
    queue.on('error', (error: Error) => logger.debug({ err: error, queue: queue.name }, 'queue connection error'));
  }
  const revocations = new RevocationService({ sessions, tokenRevocations, audit, queueTimeoutMs: config.QUEUE_TIMEOUT_MS, now });
  const refresher = new TokenRefresher(sessions, oidc, logger, {
    marginMs: config.REFRESH_MARGIN_SECONDS * 1000,
    lockMs: config.REFRESH_LOCK_SECONDS * 1000,
    now,
    ...(options.refreshPollIntervalMs === undefined ? {} : { pollIntervalMs: options.refreshPollIntervalMs }),
  });

  const context: GatewayContext = {
    config,
    logger,
    sessions,
    pendingLogins: new PendingLoginStore(redis, PENDING_LOGIN_SECONDS * 1000),
    oidc,
    users,
    revocations,
    refresher,
    verifier: new TokenVerifier(config.TRUSTED_ISSUERS),
    audit,
    cookies: cookiePolicy(config.COOKIE_SECURE),
    now,
  };

  const worker = (options.startWorker ?? true) ? startSessionRevocationWorker(revocations, workerRedis, logger) : undefined;

  const app = await createService({
    name: 'session-gateway',
    description: 'Backend-for-frontend: OpenID Connect login, server-side sessions in Redis, the API proxy and session administration',
    logger,
    readiness: {
      redis: () => pingRedis(redis),
      queueRedis: () => pingRedis(producerRedis),
    },
    // User ids reach 256 characters, up to three times that when percent-encoded.
    fastify: { trustProxy: trustProxySetting(config.TRUST_PROXY), maxParamLength: 1024 },
  });
  await app.register(cookie);

  await app.register(async (scope) => registerLoginRoutes(scope as Service, context));
  await app.register(async (scope) => registerSessionRoutes(scope as Service, context));
  await app.register(async (scope) => registerSessionAdminRoutes(scope as Service, context));
  await app.register(async (scope) => registerApiProxy(scope as Service, context));

  app.addHook('onClose', async () => {
    await worker?.close();
    await audit.close();
    await tokenRevocations.close();
    await Promise.all([redis, producerRedis, workerRedis].map((connection) => quit(connection)));
  });

  return { app, context, tokenRevocations, worker };
}

async function quit(connection: Redis): Promise<void> {
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}

function trustProxySetting(value: string): boolean | string | string[] {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
}
