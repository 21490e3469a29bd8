import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';

export interface TestSigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function createSigningKey(alg: 'RS256' | 'ES256' | 'PS256' | 'EdDSA' = 'RS256', kid: string = randomUUID()): Promise<TestSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

export interface TokenOptions {
  issuer: string;
  audience: string | string[];
  subject?: string;
  expiresInSeconds?: number;
  issuedAt?: number;
  notBefore?: number;
  jti?: string;
  claims?: JWTPayload;
  header?: Record<string, unknown>;
}

/** Signs a JWT for tests with sensible defaults (five-minute lifetime, random jti). */
export async function signTestToken(key: TestSigningKey, options: TokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const issuedAt = options.issuedAt ?? now;
  const jwt = new SignJWT({ ...options.claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...options.header })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (options.expiresInSeconds ?? 300))
    .setJti(options.jti ?? randomUUID());
  if (options.subject !== undefined) jwt.setSubject(options.subject);
  if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
  return jwt.sign(key.privateKey);
}

export interface JwksServer {
  readonly url: string;
  readonly keys: JWK[];
  /** Number of JWKS requests served, to check caching. */
  requests(): number;
  /** Makes the server answer 500 until called again with false. */
  setFailing(failing: boolean): void;
  close(): Promise<void>;
}

/** Serves a JWKS document on 127.0.0.1 at a random port. */
export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  let count = 0;
  let failing = false;
  const server: Server = createServer((request, response) => {
    count += 1;
    if (failing) {
      response.writeHead(500).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    keys,
    requests: () => count,
    setFailing: (value) => {
      failing = value;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
