import { KeyObject, sign, type webcrypto } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportSPKI, importJWK, type CryptoKey as JoseCryptoKey } from 'jose';
import { createSigningKey, signTestToken, type RedisServer, type TestSigningKey } from '@platform/testing';
import { AUDIENCE, M2M_ISSUER, USER_ISSUER, startIssuers, startRedis, startService, userToken, validate, type Issuers, type RunningService } from './support/harness.ts';

// Malicious and malformed tokens. Each must be rejected with 401, the service must stay healthy, and no
// address named by a token may ever be fetched.

let redis: RedisServer;
let issuers: Issuers;
let service: RunningService;
let attacker: Server;
let attackerUrl: string;
let attackerRequests = 0;
let strangerKey: TestSigningKey;

const encode = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const validClaims = () => ({ iss: USER_ISSUER, aud: AUDIENCE, sub: 'alice', scope: 'transactions:read', iat: now(), exp: now() + 300, jti: 'crafted' });

function parts(token: string): [string, string, string] {
  return token.split('.') as [string, string, string];
}

async function signWithHeader(header: Record<string, unknown>, claims: Record<string, unknown> = validClaims()): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: issuers.userKey.kid, ...header }).sign(issuers.userKey.privateKey);
}

/** Signs exactly the given header and claims with the user issuer's RSA key, as jose would refuse to. */
function signRaw(header: Record<string, unknown>, claims: Record<string, unknown>, hash: 'sha256' | 'sha512' = 'sha256'): string {
  const input = `${encode(header)}.${encode(claims)}`;
  const signature = sign(hash, Buffer.from(input), KeyObject.from(issuers.userKey.privateKey as unknown as webcrypto.CryptoKey));
  return `${input}.${signature.toString('base64url')}`;
}

async function hmacWith(secret: Uint8Array): Promise<string> {
  return new SignJWT(validClaims()).setProtectedHeader({ alg: 'HS256', kid: issuers.userKey.kid, typ: 'JWT' }).sign(secret);
}

// Each case: what it is, the rejection reason expected in the problem body, and how it is built.
const CASES: Array<[string, string, () => Promise<string>]> = [
  ['alg none without signature', 'malformed', async () => `${encode({ alg: 'none', typ: 'JWT' })}.${encode(validClaims())}.`],
  ['alg none with the original signature', 'algorithm_not_allowed', async () => {
    const [, payload, signature] = parts(await userToken(issuers, 'alice'));
    return `${encode({ alg: 'none', kid: issuers.userKey.kid })}.${payload}.${signature}`;
  }],
  ['alg NONE in capitals', 'algorithm_not_allowed', async () => `${encode({ alg: 'NONE', kid: issuers.userKey.kid })}.${encode(validClaims())}.${encode('x')}`],
  ['HS256 signed with the public JWK as secret', 'algorithm_not_allowed', async () => hmacWith(new TextEncoder().encode(JSON.stringify(issuers.userKey.publicJwk)))],
  ['HS256 signed with the public key PEM as secret', 'algorithm_not_allowed', async () => {
    const publicKey = await importJWK(issuers.userKey.publicJwk, 'RS256', { extractable: true });
    return hmacWith(new TextEncoder().encode(await exportSPKI(publicKey as JoseCryptoKey)));
  }],
  ['RS512 outside the issuer algorithms', 'algorithm_not_allowed', async () => signRaw({ alg: 'RS512', kid: issuers.userKey.kid }, validClaims(), 'sha512')],
  ['ES256 for an RS256-only issuer', 'algorithm_not_allowed', async () => new SignJWT(validClaims()).setProtectedHeader({ alg: 'ES256', kid: issuers.m2mKey.kid }).sign(issuers.m2mKey.privateKey)],
  ['jku pointing at an attacker key set', 'key_reference_rejected', async () => signWithHeader({ jku: attackerUrl })],
  ['x5u pointing at an attacker certificate', 'key_reference_rejected', async () => signWithHeader({ x5u: attackerUrl })],
  ['x5c with an attacker certificate chain', 'key_reference_rejected', async () => signWithHeader({ x5c: ['MIIBszCCAVmgAwIBAgIUQ2F0dGFja2Vy'] })],
  ['embedded jwk of the attacker', 'key_reference_rejected', async () => {
    const token = await new SignJWT(validClaims()).setProtectedHeader({ alg: 'RS256', kid: strangerKey.kid, jwk: strangerKey.publicJwk }).sign(strangerKey.privateKey);
    return token;
  }],
  ['crit parameter that is not understood', 'unsupported_critical_header', async () => signRaw({ alg: 'RS256', kid: issuers.userKey.kid, crit: ['urn:example:policy'], 'urn:example:policy': 'x' }, validClaims())],
  ['crit b64 false', 'unsupported_critical_header', async () => signRaw({ alg: 'RS256', kid: issuers.userKey.kid, crit: ['b64'], b64: false }, validClaims())],
  ['unexpected typ', 'unexpected_type', async () => signWithHeader({ typ: 'JWE' })],
  ['missing kid', 'missing_kid', async () => new SignJWT(validClaims()).setProtectedHeader({ alg: 'RS256' }).sign(issuers.userKey.privateKey)],
  ['missing exp', 'invalid_exp', async () => {
    const { exp: _exp, ...claims } = validClaims();
    return signWithHeader({}, claims);
  }],
  ['missing iat', 'invalid_iat', async () => {
    const { iat: _iat, ...claims } = validClaims();
    return signWithHeader({}, claims);
  }],
  ['lifetime longer than the maximum', 'lifetime_too_long', async () => signWithHeader({}, { ...validClaims(), exp: now() + 40 * 86_400 })],
  ['wrong issuer with a trailing slash', 'untrusted_issuer', async () => signWithHeader({}, { ...validClaims(), iss: `${USER_ISSUER}/` })],
  ['unknown issuer', 'untrusted_issuer', async () => signWithHeader({}, { ...validClaims(), iss: 'https://evil.example' })],
  ['issuer as an array', 'untrusted_issuer', async () => signWithHeader({}, { ...validClaims(), iss: [USER_ISSUER] })],
  ['user key signing for the M2M issuer', 'algorithm_not_allowed', async () => signWithHeader({}, { ...validClaims(), iss: M2M_ISSUER })],
  ['wrong audience', 'invalid_aud', async () => signWithHeader({}, { ...validClaims(), aud: 'urn:other:api' })],
  ['expired', 'expired', async () => signWithHeader({}, { ...validClaims(), iat: now() - 3_600, exp: now() - 600 })],
  ['not yet valid', 'invalid_nbf', async () => signWithHeader({}, { ...validClaims(), nbf: now() + 600 })],
  ['issued in the future', 'invalid_iat', async () => signWithHeader({}, { ...validClaims(), iat: now() + 600, exp: now() + 900 })],
  ['signature stripped', 'malformed', async () => {
    const [header, payload] = parts(await userToken(issuers, 'alice'));
    return `${header}.${payload}.`;
  }],
  ['payload changed after signing', 'invalid_signature', async () => {
    const [header, , signature] = parts(await userToken(issuers, 'alice'));
    return `${header}.${encode({ ...validClaims(), sub: 'admin', permissions: ['tokens:revoke'] })}.${signature}`;
  }],
  ['header and payload swapped', 'malformed', async () => {
    const [header, payload, signature] = parts(await userToken(issuers, 'alice'));
    return `${payload}.${header}.${signature}`;
  }],
  ['non-base64url characters', 'authorization_malformed', async () => {
    const [header, payload, signature] = parts(await userToken(issuers, 'alice'));
    return `${header}.${payload.replace(/-/g, '+').replace(/_/g, '/')}*.${signature}`;
  }],
  ['standard base64 padding', 'authorization_malformed', async () => {
    const [header, payload, signature] = parts(await userToken(issuers, 'alice'));
    return `${header}==.${payload}.${signature}`;
  }],
  ['two segments', 'malformed', async () => parts(await userToken(issuers, 'alice')).slice(0, 2).join('.')],
  ['four segments', 'malformed', async () => `${await userToken(issuers, 'alice')}.${encode('extra')}`],
  ['five segments like a JWE', 'malformed', async () => `${encode({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.${encode('k')}.${encode('iv')}.${encode('ct')}.${encode('tag')}`],
  ['100 KB token', 'token_too_large', async () => signWithHeader({}, { ...validClaims(), padding: 'x'.repeat(75 * 1024) })],
  ['just over the 8 KB limit', 'token_too_large', async () => signWithHeader({}, { ...validClaims(), padding: 'x'.repeat(6 * 1024) })],
  ['kid with path characters', 'unknown_key', async () => signWithHeader({ kid: '../../../../etc/passwd' })],
  ['kid with a URL', 'unknown_key', async () => signWithHeader({ kid: attackerUrl })],
  ['signed by a key not in the key set, with a known kid', 'invalid_signature', async () => new SignJWT(validClaims()).setProtectedHeader({ alg: 'RS256', kid: issuers.userKey.kid }).sign(strangerKey.privateKey)],
  ['signed by a key not in the key set, with its own kid', 'unknown_key', async () => signTestToken(strangerKey, { issuer: USER_ISSUER, audience: AUDIENCE, subject: 'alice' })],
  ['payload that is a JSON array', 'malformed', async () => {
    const [header] = parts(await userToken(issuers, 'alice'));
    return `${header}.${encode([validClaims()])}.${encode('sig')}`;
  }],
  ['payload that is not JSON', 'malformed', async () => `${encode({ alg: 'RS256', kid: issuers.userKey.kid })}.${encode('{"iss":')}.${encode('sig')}`],
  ['header that is not JSON', 'malformed', async () => `${encode('{"alg":"RS256"')}.${encode(validClaims())}.${encode('sig')}`],
  ['sub with control characters', 'invalid_claims', async () => signWithHeader({}, { ...validClaims(), sub: 'alice\r\nX-User-Id: admin' })],
  ['sub that is a number', 'invalid_claims', async () => signWithHeader({}, { ...validClaims(), sub: 42 })],
  ['scope with a newline', 'invalid_claims', async () => signWithHeader({}, { ...validClaims(), scope: 'transactions:read\nadmin' })],
  ['empty string', 'authorization_malformed', async () => ''],
];

beforeAll(async () => {
  redis = await startRedis();
  issuers = await startIssuers();
  service = await startService(redis.url, issuers, { JWKS_COOLDOWN_MS: '60000' });
  strangerKey = await createSigningKey('RS256', 'stranger-key');
  attacker = createServer((_request, response) => {
    attackerRequests += 1;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [strangerKey.publicJwk] }));
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  const address = attacker.address();
  attackerUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/jwks.json`;
  // Load the key set before the suite, so every refetch below is one caused by a crafted token.
  expect((await validate(service.url, await userToken(issuers, 'warm-up'))).status).toBe(200);
});

afterAll(async () => {
  await service?.close();
  await issuers?.close();
  await redis?.stop();
  await new Promise((resolve) => attacker?.close(resolve));
});

describe('crafted tokens', () => {
  it('has at least 25 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
  });

  it('builds a 100 KB token', async () => {
    const token = await CASES.find(([name]) => name === '100 KB token')![2]();
    expect(token.length).toBeGreaterThan(100 * 1000);
  });

  it.each(CASES)('rejects %s with 401 (%s)', async (_name, reason, build) => {
    const token = await build();
    const response = await fetch(`${service.url}/auth/validate`, {
      headers: { authorization: `Bearer ${token}`, 'x-original-method': 'GET', 'x-original-uri': '/api/transactions' },
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe(reason);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api"/);
    expect(response.headers.get('x-user-id')).toBeNull();
  });

  it('fetched nothing from addresses named by tokens', () => {
    expect(attackerRequests).toBe(0);
  });

  it('refetched the key set at most once for all unknown kids', () => {
    expect(issuers.userJwks.requests()).toBeLessThanOrEqual(2);
  });

  it('stays healthy and keeps accepting valid tokens', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    expect((await validate(service.url, await userToken(issuers, 'alice'))).status).toBe(200);
  });
});
