import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { createSigningKey, signTestToken, startJwksServer, type JwksServer, type TestSigningKey } from '@platform/testing';
import { TokenRejectedError, TokenVerifier, VerificationUnavailableError, VerifiedTokenCache, principalOf, type TrustedIssuer } from '../src/index.ts';

const ISSUER = 'http://issuer.test';
const AUDIENCE = 'urn:platform:api';

async function rejectionOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TokenRejectedError) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe('TokenVerifier', () => {
  let key: TestSigningKey;
  let jwks: JwksServer;
  let issuer: TrustedIssuer;
  let verifier: TokenVerifier;

  beforeAll(async () => {
    key = await createSigningKey('RS256', 'main');
    jwks = await startJwksServer([key.publicJwk]);
    issuer = { issuer: ISSUER, jwksUri: jwks.url, audience: AUDIENCE, algorithms: ['RS256'] };
    verifier = new TokenVerifier([issuer], { maxTokenLifetimeSeconds: 3600 });
  });

  afterAll(async () => {
    await jwks.close();
  });

  it('accepts a valid token', async () => {
    const token = await signTestToken(key, { issuer: ISSUER, audience: AUDIENCE, subject: 'alice' });
    const verified = await verifier.verify(token);
    expect(verified.payload.sub).toBe('alice');
  });

  it('rejects an untrusted issuer before any key request', async () => {
    const before = jwks.requests();
    const token = await signTestToken(key, { issuer: 'http://other.test', audience: AUDIENCE, subject: 'alice' });
    expect(await rejectionOf(verifier.verify(token))).toBe('untrusted_issuer');
    expect(jwks.requests()).toBe(before);
  });

  it('rejects an issuer that differs only by a trailing slash', async () => {
    const token = await signTestToken(key, { issuer: `${ISSUER}/`, audience: AUDIENCE, subject: 'alice' });
    expect(await rejectionOf(verifier.verify(token))).toBe('untrusted_issuer');
  });

  it('rejects a token without iat', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'RS256', kid: 'main' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(now + 60).sign(key.privateKey);
    expect(await rejectionOf(verifier.verify(token))).toBe('invalid_iat');
  });

  it('rejects a lifetime over the maximum', async () => {
    const token = await signTestToken(key, { issuer: ISSUER, audience: AUDIENCE, subject: 'alice', expiresInSeconds: 7200 });
    expect(await rejectionOf(verifier.verify(token))).toBe('lifetime_too_long');
  });

  it('accepts nbf within the clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await signTestToken(key, { issuer: ISSUER, audience: AUDIENCE, subject: 'alice', notBefore: now + 20 });
    expect(await rejectionOf(verifier.verify(token))).toBe('accepted');
  });

  it('rejects iat beyond the clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await signTestToken(key, { issuer: ISSUER, audience: AUDIENCE, subject: 'alice', issuedAt: now + 120 });
    expect(await rejectionOf(verifier.verify(token))).toBe('invalid_iat');
  });

  it('never fetches a jku address from the token', async () => {
    let attackerRequests = 0;
    const attacker: Server = createServer((_request, response) => {
      attackerRequests += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [] }));
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const address = attacker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const token = await signTestToken(key, { issuer: ISSUER, audience: AUDIENCE, subject: 'alice', header: { jku: `http://127.0.0.1:${port}/jwks.json` } });
      expect(await rejectionOf(verifier.verify(token))).toBe('key_reference_rejected');
      expect(attackerRequests).toBe(0);
    } finally {
      await new Promise((resolve) => attacker.close(resolve));
    }
  });

  it('reports never-loaded keys as unavailable', async () => {
    const down = await startJwksServer([key.publicJwk]);
    down.setFailing(true);
    const isolated = new TokenVerifier([{ ...issuer, jwksUri: down.url }]);
    try {
      const token = await signTestToken(key, { issuer: ISSUER, audience: AUDIENCE, subject: 'alice' });
      await expect(isolated.verify(token)).rejects.toThrow(VerificationUnavailableError);
    } finally {
      await down.close();
    }
  });
});

describe('principalOf', () => {
  const issuer: TrustedIssuer = { issuer: ISSUER, jwksUri: 'http://127.0.0.1:1/jwks', audience: AUDIENCE, algorithms: ['RS256'] };

  it('treats a client-credentials token as m2m', () => {
    expect(principalOf({ sub: 'demo-m2m-client', client_id: 'demo-m2m-client' }, issuer)).toEqual({ type: 'm2m', id: 'demo-m2m-client', clientId: 'demo-m2m-client' });
  });

  it('treats a user token issued to a client as user', () => {
    expect(principalOf({ sub: 'alice', client_id: 'session-gateway' }, issuer)).toEqual({ type: 'user', id: 'alice', clientId: 'session-gateway' });
  });

  it('follows the issuer principal type', () => {
    expect(principalOf({ sub: 'partner-1' }, { ...issuer, principalType: 'm2m' }).type).toBe('m2m');
  });
});

describe('VerifiedTokenCache', () => {
  it('drops an entry at its expiry', () => {
    const cache = new VerifiedTokenCache<string>(10);
    cache.set('a', 'value', 1_000);
    expect(cache.get('a', 999)).toBe('value');
    expect(cache.get('a', 1_000)).toBeUndefined();
  });

  it('evicts the oldest entry when full', () => {
    const cache = new VerifiedTokenCache<string>(2);
    cache.set('a', '1', 10_000);
    cache.set('b', '2', 10_000);
    cache.set('c', '3', 10_000);
    expect(cache.get('a', 0)).toBeUndefined();
    expect(cache.get('c', 0)).toBe('3');
  });

  it('keys by a hash, not the token', () => {
    expect(VerifiedTokenCache.keyOf('header.payload.signature')).not.toContain('payload');
  });
});
