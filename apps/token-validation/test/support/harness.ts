import { Writable } from 'node:stream';
import { pino } from 'pino';
import {
  createSigningKey,
  signTestToken,
  startJwksServer,
  startRedisServer,
  waitFor,
  type JwksServer,
  type RedisServer,
  type TestSigningKey,
  type TokenOptions,
} from '@platform/testing';
import { loggerOptions } from '@platform/service-kit';
import { buildApp, type BuildOptions, type TokenValidationApp } from '../../src/app.ts';
import { loadTokenValidationConfig } from '../../src/config.ts';

export const USER_ISSUER = 'http://127.0.0.1:9400';
export const M2M_ISSUER = 'http://127.0.0.1:8086';
export const AUDIENCE = 'urn:platform:api';

/** Signing keys and JWKS servers of the two trusted issuers used by the tests. */
export interface Issuers {
  userKey: TestSigningKey;
  m2mKey: TestSigningKey;
  userJwks: JwksServer;
  m2mJwks: JwksServer;
  trustedIssuers: string;
  close(): Promise<void>;
}

export async function startIssuers(): Promise<Issuers> {
  const userKey = await createSigningKey('RS256', 'user-key-1');
  const m2mKey = await createSigningKey('ES256', 'm2m-key-1');
  const userJwks = await startJwksServer([userKey.publicJwk]);
  const m2mJwks = await startJwksServer([m2mKey.publicJwk]);
  const trustedIssuers = JSON.stringify([
    { issuer: USER_ISSUER, jwksUri: userJwks.url, audience: AUDIENCE, algorithms: ['RS256'] },
    { issuer: M2M_ISSUER, jwksUri: m2mJwks.url, audience: AUDIENCE, algorithms: ['ES256'], principalType: 'm2m' },
  ]);
  return {
    userKey,
    m2mKey,
    userJwks,
    m2mJwks,
    trustedIssuers,
    close: async () => {
      await userJwks.close();
      await m2mJwks.close();
    },
  };
}

export function userToken(issuers: Issuers, subject: string, options: Partial<TokenOptions> = {}): Promise<string> {
  return signTestToken(issuers.userKey, {
    issuer: USER_ISSUER,
    audience: AUDIENCE,
    subject,
    ...options,
    claims: { scope: 'openid transactions:read', client_id: 'session-gateway', ...options.claims },
  });
}

export function m2mToken(issuers: Issuers, clientId: string, options: Partial<TokenOptions> = {}): Promise<string> {
  return signTestToken(issuers.m2mKey, {
    issuer: M2M_ISSUER,
    audience: AUDIENCE,
    subject: clientId,
    ...options,
    claims: { scope: 'transactions:read', client_id: clientId, ...options.claims },
  });
}

export function adminToken(issuers: Issuers, subject = 'admin', options: Partial<TokenOptions> = {}): Promise<string> {
  return userToken(issuers, subject, { ...options, claims: { permissions: ['tokens:revoke', 'sessions:revoke'], ...options.claims } });
}

/** Log lines written by a service under test, parsed. */
export type LogLines = Array<Record<string, unknown>>;

export function captureLogger(): { logger: pino.Logger; lines: LogLines; text: () => string } {
  const lines: LogLines = [];
  let raw = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      raw += String(chunk);
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino(loggerOptions('token-validation', 'info'), stream), lines, text: () => raw };
}

export interface RunningService extends TokenValidationApp {
  readonly url: string;
  readonly logs: LogLines;
  readonly logText: () => string;
  close(): Promise<void>;
}

/** Starts the service on a free loopback port and waits until its blacklist is current. */
export async function startService(redisUrl: string, issuers: Issuers, env: Record<string, string> = {}, extra: Partial<BuildOptions> & { waitForFresh?: boolean } = {}): Promise<RunningService> {
  const config = loadTokenValidationConfig({ REDIS_URL: redisUrl, TRUSTED_ISSUERS: issuers.trustedIssuers, PORT: '8088', JWKS_COOLDOWN_MS: '1000', ...env });
  const { logger, lines, text } = captureLogger();
  const { waitForFresh, ...buildOptions } = extra;
  const built = await buildApp({ config, logger, ...buildOptions });
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const address = built.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  if (waitForFresh !== false) await waitFor(() => built.replica.isFresh(), 'the blacklist replica to catch up');
  return { ...built, url: `http://127.0.0.1:${port}`, logs: lines, logText: text, close: () => built.app.close() };
}

export async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  return startRedisServer(extraArgs);
}

/** Calls /auth/validate as NGINX would. */
export function validate(serviceUrl: string, token: string | undefined, options: { method?: string; uri?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = {
    'x-original-method': options.method ?? 'GET',
    'x-original-uri': options.uri ?? '/api/transactions',
    ...options.headers,
  };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  return fetch(`${serviceUrl}/auth/validate`, { headers });
}
