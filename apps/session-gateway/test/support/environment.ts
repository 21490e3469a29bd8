import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { QUEUE_PREFIX, type QUEUE_NAMES } from '@platform/queues';
import { createLogger } from '@platform/service-kit';
import { createSigningKey, freePort, startJwksServer, startRedisServer, type JwksServer, type RedisServer, type TestSigningKey } from '@platform/testing';
import { buildGateway, type Gateway } from '../../src/app.ts';
import { loadGatewayConfig } from '../../src/config/config.ts';
import { API_AUDIENCE, GATEWAY_CLIENT, startTestProvider, type TestProvider } from './test-provider.ts';
import { startUpstream, type Upstream } from './upstream.ts';

export const CRAFTED_ISSUER = 'https://crafted-issuer.test/';

export interface RunningGateway {
  readonly url: string;
  readonly gateway: Gateway;
  close(): Promise<void>;
}

export interface TestEnvironment {
  readonly redis: RedisServer;
  /** Redis of the queues; a separate server so tests can stop it alone. */
  readonly queueRedis: RedisServer;
  readonly provider: TestProvider;
  readonly upstream: Upstream;
  /** Key and JWKS of a second trusted issuer, for crafted admin tokens. */
  readonly craftedKey: TestSigningKey;
  readonly jwks: JwksServer;
  readonly ports: number[];
  startGateway(options?: { portIndex?: number; env?: Record<string, string>; now?: () => number; startWorker?: boolean }): Promise<RunningGateway>;
  /** A queue handle for inspecting jobs; closed with the environment. */
  queue(name: (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES]): Queue;
  close(): Promise<void>;
}

/**
 * Starts everything a gateway test needs on 127.0.0.1: two private Redis servers, the OpenID
 * Connect provider, an upstream that records requests and a JWKS server for crafted tokens.
 * `gateways` ports are reserved up front because the provider must know the redirect URIs.
 */
export async function startEnvironment(options: { gateways?: number; accessTokenTtlSeconds?: number } = {}): Promise<TestEnvironment> {
  const ports = await Promise.all(Array.from({ length: options.gateways ?? 1 }, () => freePort()));
  const redis = await startRedisServer();
  const queueRedis = await startRedisServer();
  const provider = await startTestProvider({
    redirectUris: ports.map((port) => `http://127.0.0.1:${port}/auth/callback`),
    postLogoutRedirectUris: ports.map((port) => `http://127.0.0.1:${port}/`),
    ...(options.accessTokenTtlSeconds === undefined ? {} : { accessTokenTtlSeconds: options.accessTokenTtlSeconds }),
  });
  const upstream = await startUpstream();
  const craftedKey = await createSigningKey('RS256');
  const jwks = await startJwksServer([craftedKey.publicJwk]);
  const encryptionKey = randomBytes(32).toString('base64');
  const running: RunningGateway[] = [];
  const queues: Queue[] = [];

  const startGateway: TestEnvironment['startGateway'] = async (gatewayOptions = {}) => {
    const port = ports[gatewayOptions.portIndex ?? 0]!;
    const url = `http://127.0.0.1:${port}`;
    const config = loadGatewayConfig({
      PORT: String(port),
      REDIS_URL: redis.url,
      QUEUE_REDIS_URL: queueRedis.url,
      PUBLIC_BASE_URL: url,
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: GATEWAY_CLIENT.id,
      OIDC_CLIENT_SECRET: GATEWAY_CLIENT.secret,
      OIDC_ALLOW_INSECURE_HTTP: 'true',
      OIDC_AUDIENCE: API_AUDIENCE,
      COOKIE_SECURE: 'false',
      SESSION_ENCRYPTION_KEYS: `k1:${encryptionKey}`,
      API_UPSTREAM_URL: upstream.url,
      TRUSTED_ISSUERS: JSON.stringify([
        { issuer: provider.issuer, jwksUri: provider.jwksUri, audience: API_AUDIENCE, algorithms: ['RS256'] },
        { issuer: CRAFTED_ISSUER, jwksUri: jwks.url, audience: API_AUDIENCE, algorithms: ['RS256'] },
      ]),
      QUEUE_TIMEOUT_MS: '1000',
      ...gatewayOptions.env,
    });
    const gateway = await buildGateway(config, {
      logger: createLogger('session-gateway', process.env['TEST_LOG_LEVEL'] ?? 'silent'),
      startWorker: gatewayOptions.startWorker ?? false,
      refreshPollIntervalMs: 20,
      ...(gatewayOptions.now === undefined ? {} : { now: gatewayOptions.now }),
    });
    await gateway.app.listen({ port, host: '127.0.0.1' });
    const handle: RunningGateway = {
      url,
      gateway,
      close: async () => {
        const index = running.indexOf(handle);
        if (index >= 0) running.splice(index, 1);
        await gateway.app.close();
      },
    };
    running.push(handle);
    return handle;
  };

  return {
    redis,
    queueRedis,
    provider,
    upstream,
    craftedKey,
    jwks,
    ports,
    startGateway,
    queue: (name) => {
      const queue = new Queue(name, { connection: { host: '127.0.0.1', port: queueRedis.port }, prefix: QUEUE_PREFIX });
      // Some tests stop the queue Redis on purpose; its connection errors are expected then.
      queue.on('error', () => {});
      queues.push(queue);
      return queue;
    },
    close: async () => {
      for (const handle of [...running]) await handle.close();
      for (const queue of queues) await queue.close();
      await provider.close();
      await upstream.close();
      await jwks.close();
      await redis.stop();
      await queueRedis.stop();
    },
  };
}
