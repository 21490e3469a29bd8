import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsecuredJWT } from 'jose';
import type { Queue } from 'bullmq';
import { QUEUE_NAMES, createQueue, jobIdFor, type TokenRevocationJob } from '@platform/queues';
import {
  clientCredentialsToken,
  freePort,
  renderPlatformNginxConfig,
  startLocalIdpProcess,
  startNginx,
  waitFor,
  type LocalIdpProcess,
  type NginxServer,
  type RedisServer,
} from '@platform/testing';
import { AUDIENCE, USER_ISSUER, startIssuers, startRedis, startService, userToken, type Issuers, type RunningService } from './support/harness.ts';

// The status contract checked through the platform's real NGINX configuration: auth_request only
// understands 2xx, 401 and 403, and NGINX must turn the validator's deliberate 503 into a JSON 503.

let redis: RedisServer;
let issuers: Issuers;
let idp: LocalIdpProcess;
let service: RunningService;
let backend: Server;
let nginx: NginxServer;
let apiUrl: string;
let lastBackendHeaders: IncomingHttpHeaders | undefined;

beforeAll(async () => {
  redis = await startRedis();
  issuers = await startIssuers();
  idp = await startLocalIdpProcess();
  const trusted = [
    ...(JSON.parse(issuers.trustedIssuers) as unknown[]),
    { issuer: idp.issuer, jwksUri: idp.jwksUri, audience: idp.audience, algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'] },
  ];
  service = await startService(redis.url, { ...issuers, trustedIssuers: JSON.stringify(trusted) });

  backend = createServer((request, response) => {
    lastBackendHeaders = request.headers;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendAddress = backend.address();
  const backendPort = typeof backendAddress === 'object' && backendAddress ? backendAddress.port : 0;

  const apiPort = await freePort();
  const { config, files } = renderPlatformNginxConfig({
    apiListen: `127.0.0.1:${apiPort}`,
    appListen: `127.0.0.1:${await freePort()}`,
    tokenValidation: new URL(service.url).host,
    sessionGateway: `127.0.0.1:${await freePort()}`,
    permissionService: `127.0.0.1:${await freePort()}`,
    transactionsApi: `127.0.0.1:${backendPort}`,
    apiRateLimit: '10000r/s',
    apiRateBurst: 10000,
  });
  nginx = await startNginx({ config, files });
  apiUrl = `http://127.0.0.1:${apiPort}`;
});

afterAll(async () => {
  await nginx?.remove();
  await new Promise((resolve) => backend?.close(resolve));
  await service?.close();
  await idp?.stop();
  await issuers?.close();
  await redis?.stop();
});

function api(path: string, token: string | undefined, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${apiUrl}${path}`, { headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers } });
}

async function expectJsonProblem(response: Response, status: number): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  return (await response.json()) as Record<string, unknown>;
}

describe('token validation through NGINX', () => {
  it('passes a user identity to the backend on 200', async () => {
    lastBackendHeaders = undefined;
    const response = await api('/api/transactions/42', await userToken(issuers, 'alice', { claims: { rate_tier: 'silver' } }), {
      'x-user-id': 'spoofed-admin',
      'x-request-id': 'nginx-200-user',
    });
    expect(response.status).toBe(200);
    expect(lastBackendHeaders?.['x-user-id']).toBe('alice');
    expect(lastBackendHeaders?.['x-client-id']).toBeUndefined();
    expect(lastBackendHeaders?.['x-principal-type']).toBe('user');
    expect(lastBackendHeaders?.['x-scopes']).toBe('openid transactions:read');
    expect(lastBackendHeaders?.['x-rate-tier']).toBe('silver');
    expect(lastBackendHeaders?.['x-request-id']).toBe('nginx-200-user');
  });

  it('passes an M2M identity from the local identity provider on 200', async () => {
    lastBackendHeaders = undefined;
    const token = await clientCredentialsToken(idp, 'demo-m2m-client', 'transactions:read');
    const response = await api('/api/transactions', token);
    expect(response.status).toBe(200);
    expect(lastBackendHeaders?.['x-client-id']).toBe('demo-m2m-client');
    expect(lastBackendHeaders?.['x-user-id']).toBeUndefined();
    expect(lastBackendHeaders?.['x-principal-type']).toBe('m2m');
    expect(lastBackendHeaders?.['x-rate-tier']).toBe('default');
  });

  it('answers 401 JSON with the challenge for a missing token', async () => {
    const response = await api('/api/transactions', undefined);
    await expectJsonProblem(response, 401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it.each([
    ['tampered', async () => {
      const [header, , signature] = (await userToken(issuers, 'alice')).split('.');
      const payload = Buffer.from(JSON.stringify({ iss: USER_ISSUER, aud: AUDIENCE, sub: 'admin', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url');
      return `${header}.${payload}.${signature}`;
    }],
    ['expired', async () => userToken(issuers, 'alice', { issuedAt: Math.floor(Date.now() / 1000) - 3_600, expiresInSeconds: 600 })],
    ['wrong-audience', async () => userToken(issuers, 'alice', { audience: 'urn:other:api' })],
    ['alg none', async () => new UnsecuredJWT({ sub: 'alice' }).setIssuer(USER_ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('5m').encode()],
  ])('answers 401 JSON for a %s token', async (_name, build) => {
    lastBackendHeaders = undefined;
    const response = await api('/api/transactions', await build());
    await expectJsonProblem(response, 401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(lastBackendHeaders).toBeUndefined();
  });

  it('answers 403 JSON for a token without the required scope', async () => {
    lastBackendHeaders = undefined;
    const response = await api('/api/transactions', await userToken(issuers, 'alice', { claims: { scope: 'openid' } }));
    const body = await expectJsonProblem(response, 403);
    expect(body['code']).toBe('insufficient_scope');
    expect(lastBackendHeaders).toBeUndefined();
  });

  it('rejects copied JWT of revoked user', async () => {
    const copied = await userToken(issuers, 'auth0|revoked-through-queue');
    expect((await api('/api/transactions', copied)).status).toBe(200);

    // The job the session revocation API leaves on the queue: reject this user's tokens issued up to now.
    const queue: Queue<TokenRevocationJob> = createQueue(QUEUE_NAMES.tokenRevocations, { host: '127.0.0.1', port: redis.port });
    try {
      const eventId = randomUUID();
      const job = await queue.add('revoke-user', {
        meta: { eventId, producer: 'session-gateway', createdAt: Date.now() },
        action: 'revoke',
        type: 'user',
        id: 'auth0|revoked-through-queue',
        notBefore: Date.now(),
        reason: 'sessions revoked by an administrator',
      }, { jobId: jobIdFor('revoke-user', eventId) });
      await waitFor(async () => (await queue.getJobState(job.id!)) === 'completed', 'the revocation job to be consumed');
    } finally {
      await queue.close();
    }

    const refused = await expectJsonProblem(await api('/api/transactions', copied), 401);
    expect(refused['code']).toBe('user_revoked');
    // A later login gets a token issued in a later second than the revocation.
    const later = await userToken(issuers, 'auth0|revoked-through-queue', { issuedAt: Math.floor(Date.now() / 1000) + 1 });
    expect((await api('/api/transactions', later)).status).toBe(200);
  });

  it('answers 503 JSON with Retry-After while Redis is down, and 200 again after', async () => {
    const token = await userToken(issuers, 'bob');
    expect((await api('/api/transactions', token)).status).toBe(200);

    await redis.stop();
    await waitFor(async () => (await api('/api/transactions', token)).status === 503, 'NGINX to answer 503');
    const response = await api('/api/transactions', token);
    const body = await expectJsonProblem(response, 503);
    expect(body['code']).toBe('authorization_unavailable');
    expect(response.headers.get('retry-after')).toBe('1');

    await redis.start();
    await waitFor(async () => (await api('/api/transactions', token)).status === 200, 'NGINX to answer 200 again');
  });
});
