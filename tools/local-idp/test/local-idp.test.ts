import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, clientCredentialsToken, parseForms } from '@platform/testing';
import { createLogger } from '@platform/service-kit';
import { PLATFORM_PERMISSIONS, startLocalIdp, type LocalIdp } from '../src/index.ts';

// The local provider over real HTTP: discovery, JWKS, the browser login with PKCE, refresh token
// rotation and the client-credentials grant.

let idp: LocalIdp;
let callbackServer: Server;
let appOrigin: string;
let jwks: ReturnType<typeof createLocalJWKSet>;
const logger = createLogger('local-idp-test', 'silent');

beforeAll(async () => {
  // Stands in for the gateway's /auth/callback so the browser has somewhere to land.
  callbackServer = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('callback'));
  await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
  const address = callbackServer.address();
  appOrigin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  idp = await startLocalIdp({ issuer: 'http://127.0.0.1:0', port: 0, appOrigin, logger });
  const keys = (await (await fetch(idp.jwksUri)).json()) as JSONWebKeySet;
  jwks = createLocalJWKSet(keys);
});

afterAll(async () => {
  await idp?.close();
  await new Promise<void>((resolve) => callbackServer?.close(() => resolve()));
});

function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

async function browserLogin(username: string, password: string) {
  const browser = new BrowserClient();
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(16).toString('base64url');
  const authorize = new URL(`${idp.issuer}/auth`);
  authorize.search = new URLSearchParams({
    client_id: 'session-gateway',
    response_type: 'code',
    redirect_uri: `${appOrigin}/auth/callback`,
    scope: 'openid profile email offline_access transactions:read',
    state,
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  const loginPage = await browser.request(authorize.toString());
  const landed = await browser.submitForm(loginPage, { username, password });
  return { browser, loginPage, landed, verifier, state };
}

async function tokenRequest(parameters: Record<string, string>) {
  const response = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'session-gateway', client_secret: idp.clientSecrets['session-gateway'], ...parameters }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

async function exchangeCode(landed: { url: string }, verifier: string) {
  const code = new URL(landed.url).searchParams.get('code') ?? '';
  return tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: `${appOrigin}/auth/callback`, code_verifier: verifier });
}

describe('local-idp discovery', () => {
  it('publishes discovery and a public JWKS', async () => {
    const discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery['issuer']).toBe(idp.issuer);
    expect(discovery['jwks_uri']).toBe(idp.jwksUri);
    expect(discovery['end_session_endpoint']).toBe(`${idp.issuer}/session/end`);
    expect(discovery['grant_types_supported']).toContain('client_credentials');
    const keys = (await (await fetch(idp.jwksUri)).json()) as { keys: Array<Record<string, unknown>> };
    expect(keys.keys).toHaveLength(1);
    expect(keys.keys[0]!['alg']).toBe('RS256');
    expect(keys.keys[0]!['d']).toBeUndefined();
    expect(keys.keys[0]!['p']).toBeUndefined();
  });
});

describe('local-idp browser login', () => {
  it('shows a plain HTML login form', async () => {
    const { loginPage } = await browserLogin('alice', 'wrong-password');
    expect(loginPage.status).toBe(200);
    expect(loginPage.headers.get('content-type')).toContain('text/html');
    const form = parseForms(loginPage.body, loginPage.url)[0]!;
    expect(Object.keys(form.fields).sort()).toEqual(['password', 'username']);
    expect(form.method).toBe('POST');
    expect(loginPage.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
  });

  it('rejects a wrong password', async () => {
    const { landed } = await browserLogin('alice', 'wrong-password');
    expect(landed.status).toBe(401);
    expect(landed.body).toContain('Unknown username or wrong password');
    expect(landed.url).not.toContain('/auth/callback');
  });

  it('issues API tokens to alice after login', async () => {
    const { landed, verifier, state } = await browserLogin('alice', 'alice-password');
    expect(landed.url.startsWith(`${appOrigin}/auth/callback?`)).toBe(true);
    expect(new URL(landed.url).searchParams.get('state')).toBe(state);

    const { status, body } = await exchangeCode(landed, verifier);
    expect(status).toBe(200);
    expect(typeof body['refresh_token']).toBe('string');
    const { payload, protectedHeader } = await jwtVerify(body['access_token']!, jwks, { issuer: idp.issuer, audience: 'urn:platform:api' });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.sub).toBe('alice');
    expect(payload['client_id']).toBe('session-gateway');
    expect(payload['scope']).toBe('transactions:read');
    expect(payload['permissions']).toBeUndefined();
    const idToken = decodeJwt(body['id_token']!);
    expect(idToken['email']).toBe('alice@example.com');
    expect(idToken['name']).toBe('Alice Example');
  });

  it('puts every permission in the admin token', async () => {
    const { landed, verifier } = await browserLogin('admin', 'admin-password');
    const { body } = await exchangeCode(landed, verifier);
    const { payload } = await jwtVerify(body['access_token']!, jwks, { issuer: idp.issuer, audience: 'urn:platform:api' });
    expect(payload.sub).toBe('admin');
    expect(payload['permissions']).toEqual([...PLATFORM_PERMISSIONS]);
  });

  it('requires the PKCE verifier', async () => {
    const { landed } = await browserLogin('alice', 'alice-password');
    const { status, body } = await exchangeCode(landed, randomBytes(32).toString('base64url'));
    expect(status).toBe(400);
    expect(body['error']).toBe('invalid_grant');
  });

  it('rotates refresh tokens', async () => {
    const { landed, verifier } = await browserLogin('alice', 'alice-password');
    const first = await exchangeCode(landed, verifier);
    const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.body['refresh_token']! });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body['refresh_token']).not.toBe(first.body['refresh_token']);
    const { payload } = await jwtVerify(refreshed.body['access_token']!, jwks, { issuer: idp.issuer, audience: 'urn:platform:api' });
    expect(payload.sub).toBe('alice');
    const reused = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.body['refresh_token']! });
    expect(reused.status).toBe(400);
  });
});

describe('local-idp client credentials', () => {
  const endpoint = () => ({ tokenEndpoint: `${idp.issuer}/token`, clientSecrets: idp.clientSecrets });

  it('issues M2M tokens with client_id', async () => {
    const token = await clientCredentialsToken(endpoint(), 'demo-m2m-client', 'transactions:read');
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: idp.issuer, audience: 'urn:platform:api' });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload['client_id']).toBe('demo-m2m-client');
    expect(payload.sub).toBe('demo-m2m-client');
    expect(payload['scope']).toBe('transactions:read');
    expect(payload['permissions']).toBeUndefined();
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it('rejects scopes outside the client registration', async () => {
    await expect(clientCredentialsToken(endpoint(), 'demo-m2m-client', 'transactions:write')).rejects.toThrow(/invalid_scope/);
  });

  it('gives the admin CLI every permission', async () => {
    const token = await clientCredentialsToken(endpoint(), 'platform-admin-cli');
    expect(decodeJwt(token)['permissions']).toEqual([...PLATFORM_PERMISSIONS]);
  });

  it('gives the gateway service account user provisioning', async () => {
    const token = await clientCredentialsToken(endpoint(), 'session-gateway-service', 'users:provision users:read');
    expect(decodeJwt(token)['permissions']).toEqual(['users:provision', 'users:read']);
    expect(decodeJwt(token)['scope']).toBe('users:provision users:read');
  });

  it('rejects permission scopes for users', async () => {
    const browser = new BrowserClient();
    const { challenge } = pkcePair();
    const authorize = new URL(`${idp.issuer}/auth`);
    authorize.search = new URLSearchParams({
      client_id: 'session-gateway',
      response_type: 'code',
      redirect_uri: `${appOrigin}/auth/callback`,
      scope: 'openid sessions:revoke',
      state: 'state-value',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    const response = await browser.request(authorize.toString());
    expect(response.url.startsWith(`${appOrigin}/auth/callback?`)).toBe(true);
    expect(new URL(response.url).searchParams.get('error')).toBe('invalid_scope');
  });

  it('rejects a wrong client secret', async () => {
    await expect(clientCredentialsToken({ tokenEndpoint: `${idp.issuer}/token`, clientSecrets: { 'demo-m2m-client': 'wrong-secret-value' } }, 'demo-m2m-client')).rejects.toThrow(/invalid_client/);
  });
});

describe('local-idp keys and configuration', () => {
  it('keeps keys in the state folder across restarts', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'local-idp-state-'));
    try {
      const first = await startLocalIdp({ issuer: 'http://127.0.0.1:0', port: 0, stateDir, logger });
      const firstToken = await clientCredentialsToken({ tokenEndpoint: `${first.issuer}/token`, clientSecrets: first.clientSecrets }, 'demo-m2m-client');
      await first.close();
      expect(statSync(join(stateDir, 'keys.json')).mode & 0o777).toBe(0o600);
      const second = await startLocalIdp({ issuer: 'http://127.0.0.1:0', port: 0, stateDir, logger });
      const secondToken = await clientCredentialsToken({ tokenEndpoint: `${second.issuer}/token`, clientSecrets: second.clientSecrets }, 'demo-m2m-client');
      await second.close();
      expect(decodeProtectedHeader(secondToken).kid).toBe(decodeProtectedHeader(firstToken).kid);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('honours a configured access token lifetime', async () => {
    const shortLived = await startLocalIdp({ issuer: 'http://127.0.0.1:0', port: 0, logger, lifetimes: { clientCredentials: 5 } });
    try {
      const token = await clientCredentialsToken({ tokenEndpoint: `${shortLived.issuer}/token`, clientSecrets: shortLived.clientSecrets }, 'demo-m2m-client');
      const payload = decodeJwt(token);
      expect(payload.exp! - payload.iat!).toBe(5);
    } finally {
      await shortLived.close();
    }
  });

  it('exits with one line on a malformed variable', () => {
    const result = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'src', 'main.ts')], {
      env: { ...process.env, LOCAL_IDP_ISSUER: 'not-a-url' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('LOCAL_IDP_ISSUER');
  });
});
