import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, UnsecuredJWT } from 'jose';
import type { RedisServer } from '@platform/testing';
import { AUDIENCE, USER_ISSUER, m2mToken, startIssuers, startRedis, startService, userToken, validate, type Issuers, type RunningService } from './support/harness.ts';

let redis: RedisServer;
let issuers: Issuers;
let service: RunningService;

beforeAll(async () => {
  redis = await startRedis();
  issuers = await startIssuers();
  service = await startService(redis.url, issuers);
});

afterAll(async () => {
  await service?.close();
  await issuers?.close();
  await redis?.stop();
});

function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  claims['sub'] = 'mallory';
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

describe('GET /auth/validate', () => {
  it('answers 200 with the identity of a user token', async () => {
    const response = await validate(service.url, await userToken(issuers, 'alice'), { headers: { 'x-request-id': 'req-123' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-user-id')).toBe('alice');
    expect(response.headers.get('x-client-id')).toBeNull();
    expect(response.headers.get('x-principal-type')).toBe('user');
    expect(response.headers.get('x-scopes')).toBe('openid transactions:read');
    expect(response.headers.get('x-rate-tier')).toBe('default');
    expect(response.headers.get('x-request-id')).toBe('req-123');
  });

  it('answers 200 with the identity of an M2M token', async () => {
    const response = await validate(service.url, await m2mToken(issuers, 'demo-m2m-client', { claims: { rate_tier: 'gold' } }));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-client-id')).toBe('demo-m2m-client');
    expect(response.headers.get('x-user-id')).toBeNull();
    expect(response.headers.get('x-principal-type')).toBe('m2m');
    expect(response.headers.get('x-rate-tier')).toBe('gold');
  });

  it('rejects a tampered token with 401', async () => {
    const response = await validate(service.url, tamper(await userToken(issuers, 'alice')));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token"/);
  });

  it('rejects an expired token with 401', async () => {
    const issuedAt = Math.floor(Date.now() / 1000) - 600;
    const response = await validate(service.url, await userToken(issuers, 'alice', { issuedAt, expiresInSeconds: 60 }));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token", error_description="The access token expired"');
  });

  it('rejects a wrong-audience token with 401', async () => {
    const response = await validate(service.url, await userToken(issuers, 'alice', { audience: 'urn:other:api' }));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('rejects an alg none token with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = new UnsecuredJWT({ scope: 'transactions:read' }).setIssuer(USER_ISSUER).setAudience(AUDIENCE).setSubject('alice').setIssuedAt(now).setExpirationTime(now + 300).encode();
    const response = await validate(service.url, token);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('answers 401 without an error code when no token is sent', async () => {
    const response = await validate(service.url, undefined);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('answers 401 invalid_request for another scheme', async () => {
    const response = await validate(service.url, undefined, { headers: { authorization: 'Basic YWxpY2U6cGFzcw==' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"');
  });

  it('answers 403 insufficient_scope when a rule is not met', async () => {
    const token = await userToken(issuers, 'alice', { claims: { scope: 'openid' } });
    const response = await validate(service.url, token);
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api", error="insufficient_scope", error_description="The access token does not grant this request", scope="transactions:read"');
  });

  it('requires permissions on admin paths', async () => {
    const plain = await userToken(issuers, 'alice');
    const admin = await userToken(issuers, 'admin', { claims: { permissions: ['tokens:revoke'] } });
    expect((await validate(service.url, plain, { method: 'POST', uri: '/api/revocations' })).status).toBe(403);
    expect((await validate(service.url, admin, { method: 'POST', uri: '/api/revocations' })).status).toBe(200);
  });

  it('matches rules on the normalised path', async () => {
    const token = await userToken(issuers, 'alice');
    const sneaky = await validate(service.url, token, { method: 'DELETE', uri: '/api/other/../sessions/user/bob' });
    expect(sneaky.status).toBe(403);
    const encoded = await validate(service.url, token, { method: 'DELETE', uri: '/api/%73essions/user/bob' });
    expect(encoded.status).toBe(403);
    const doubled = await validate(service.url, token, { method: 'DELETE', uri: '//api//sessions/user/bob?x=1' });
    expect(doubled.status).toBe(403);
  });

  it('answers 403 when the original request is unknown', async () => {
    const token = await userToken(issuers, 'alice');
    const response = await fetch(`${service.url}/auth/validate`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(403);
  });

  it('verifies a repeated token once, from the cache', async () => {
    const token = await userToken(issuers, 'carol');
    const verifySpy = service.verifier.verify.bind(service.verifier);
    let verifications = 0;
    service.verifier.verify = async (...args) => {
      verifications += 1;
      return verifySpy(...args);
    };
    try {
      for (let i = 0; i < 5; i += 1) expect((await validate(service.url, token)).status).toBe(200);
    } finally {
      service.verifier.verify = verifySpy;
    }
    expect(verifications).toBe(1);
  });

  it('never logs the token', async () => {
    const token = await userToken(issuers, 'dave');
    await validate(service.url, token);
    await validate(service.url, tamper(token));
    expect(service.logText()).not.toContain(token.split('.')[2]);
  });

  it('rejects an HMAC token signed with the public key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const secret = new TextEncoder().encode(JSON.stringify(issuers.userKey.publicJwk));
    const token = await new SignJWT({ scope: 'transactions:read' })
      .setProtectedHeader({ alg: 'HS256', kid: issuers.userKey.kid })
      .setIssuer(USER_ISSUER).setAudience(AUDIENCE).setSubject('alice').setIssuedAt(now).setExpirationTime(now + 300)
      .sign(secret);
    expect((await validate(service.url, token)).status).toBe(401);
  });
});
