import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { fillPlaceholders, freePort, listenPorts, renderPlatformNginxConfig, startNginx, type NginxServer } from '../src/index.ts';

// The platform's NGINX configuration (nginx/platform.conf.template) against plain HTTP stubs that
// stand in for token-validation and the backends, so each status the validator can return is
// exercised through a real NGINX.

interface StubAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

interface Stub {
  readonly address: string;
  readonly requests: Array<{ method: string; url: string; headers: IncomingHttpHeaders }>;
  respond: (url: string, headers: IncomingHttpHeaders) => StubAnswer;
  close(): Promise<void>;
}

async function startStub(name: string): Promise<Stub> {
  const stub: Stub = {
    address: '',
    requests: [],
    respond: () => ({ status: 200, body: JSON.stringify({ served: name }) }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request, response) => {
    stub.requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    const answer = stub.respond(request.url ?? '', request.headers);
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(answer.body ?? JSON.stringify({ served: name }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  (stub as { address: string }).address = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return stub;
}

/** Validator stub: the bearer token selects the response, as in `Bearer status-403`. */
function validatorAnswer(url: string, headers: IncomingHttpHeaders): StubAnswer {
  if (!url.startsWith('/auth/validate')) return { status: 200, body: JSON.stringify({ served: 'token-validation' }) };
  const token = (headers['authorization'] ?? '').replace(/^Bearer /, '');
  if (token === 'good') {
    return { status: 200, headers: { 'x-user-id': 'user-1', 'x-principal-type': 'user', 'x-scopes': 'transactions:read', 'x-rate-tier': 'standard' }, body: '' };
  }
  if (token === 'status-403') return { status: 403, headers: { 'www-authenticate': 'Bearer error="insufficient_scope"', 'x-auth-error': 'insufficient_scope' }, body: '' };
  if (token === 'revoked') return { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"', 'x-auth-error': 'user_revoked' }, body: '' };
  if (token === 'odd-reason') return { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"', 'x-auth-error': 'bad"code' }, body: '' };
  if (token === 'status-503') return { status: 503, headers: { 'retry-after': '7' }, body: '' };
  if (token === 'status-503-bare') return { status: 503, body: '' };
  if (token === 'status-500') return { status: 500, body: '' };
  return { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, body: '' };
}

let validator: Stub;
let gateway: Stub;
let permissions: Stub;
let backend: Stub;
let nginx: NginxServer;
let api: string;
let app: string;
let downBackendPort: number;

beforeAll(async () => {
  validator = await startStub('token-validation');
  validator.respond = validatorAnswer;
  gateway = await startStub('session-gateway');
  permissions = await startStub('permission-service');
  backend = await startStub('sample-backend');
  const apiPort = await freePort();
  const appPort = await freePort();
  downBackendPort = await freePort();
  const rendered = renderPlatformNginxConfig({
    apiListen: `127.0.0.1:${apiPort}`,
    appListen: `127.0.0.1:${appPort}`,
    tokenValidation: validator.address,
    sessionGateway: gateway.address,
    permissionService: permissions.address,
    transactionsApi: backend.address,
  });
  nginx = await startNginx(rendered);
  api = `http://127.0.0.1:${apiPort}`;
  app = `http://127.0.0.1:${appPort}`;
});

afterAll(async () => {
  await nginx?.remove();
  for (const stub of [validator, gateway, permissions, backend]) await stub?.close();
});

async function problemCode(response: Response): Promise<unknown> {
  const body = (await response.json()) as { code?: unknown };
  return body.code;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('platform NGINX config, API server', () => {
  it('passes identity headers from the validator to the backend', async () => {
    backend.requests.length = 0;
    const response = await fetch(`${api}/api/transactions/42?x=1`, { headers: { ...bearer('good'), 'x-request-id': 'req-abc' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ served: 'sample-backend' });
    const seen = backend.requests.at(-1)!;
    expect(seen.url).toBe('/api/transactions/42?x=1');
    expect(seen.headers['x-user-id']).toBe('user-1');
    expect(seen.headers['x-principal-type']).toBe('user');
    expect(seen.headers['x-scopes']).toBe('transactions:read');
    expect(seen.headers['x-rate-tier']).toBe('standard');
    expect(seen.headers['x-request-id']).toBe('req-abc');
    expect(seen.headers['x-client-id']).toBeUndefined();
  });

  it('sends the original method, URI and request id to the validator', async () => {
    validator.requests.length = 0;
    await fetch(`${api}/api/transactions?page=2`, { method: 'POST', body: 'secret-body', headers: { ...bearer('good'), 'x-request-id': 'req-validate' } });
    const check = validator.requests.find((request) => request.url === '/auth/validate')!;
    expect(check.headers['x-original-method']).toBe('POST');
    expect(check.headers['x-original-uri']).toBe('/api/transactions?page=2');
    expect(check.headers['x-request-id']).toBe('req-validate');
    expect(check.headers['authorization']).toBe('Bearer good');
    expect(check.headers['content-length']).toBeUndefined();
  });

  it('replaces client-sent identity headers', async () => {
    backend.requests.length = 0;
    validator.requests.length = 0;
    const forged = { 'x-user-id': 'admin', 'x-client-id': 'forged-client', 'x-principal-type': 'm2m', 'x-scopes': 'everything', 'x-rate-tier': 'unlimited' };
    const response = await fetch(`${api}/api/transactions`, { headers: { ...bearer('good'), ...forged } });
    expect(response.status).toBe(200);
    const seen = backend.requests.at(-1)!;
    expect(seen.headers['x-user-id']).toBe('user-1');
    expect(seen.headers['x-client-id']).toBeUndefined();
    expect(seen.headers['x-principal-type']).toBe('user');
    expect(seen.headers['x-scopes']).toBe('transactions:read');
    expect(seen.headers['x-rate-tier']).toBe('standard');
    const check = validator.requests.at(-1)!;
    expect(check.headers['x-user-id']).toBeUndefined();
    expect(check.headers['x-scopes']).toBeUndefined();
  });

  it('answers 401 as JSON with the validator WWW-Authenticate', async () => {
    backend.requests.length = 0;
    const response = await fetch(`${api}/api/transactions`, { headers: bearer('tampered') });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    const body = (await response.json()) as { code: string; status: number; requestId: unknown };
    expect(body.code).toBe('unauthorized');
    expect(body.status).toBe(401);
    expect(typeof body.requestId).toBe('string');
    expect(backend.requests).toHaveLength(0);
  });

  it('names the validator reason in 401 and 403 bodies', async () => {
    const revoked = await fetch(`${api}/api/transactions`, { headers: bearer('revoked') });
    expect(revoked.status).toBe(401);
    expect(await problemCode(revoked)).toBe('user_revoked');
    const forbidden = await fetch(`${api}/api/transactions`, { headers: bearer('status-403') });
    expect(await problemCode(forbidden)).toBe('insufficient_scope');
  });

  it('falls back to a generic code for an unexpected reason', async () => {
    const response = await fetch(`${api}/api/transactions`, { headers: bearer('odd-reason') });
    expect(response.status).toBe(401);
    expect(await problemCode(response)).toBe('unauthorized');
  });

  it('answers a malformed path as JSON', async () => {
    const response = await fetch(`${api}/api/transactions/bob%00`, { headers: bearer('good') });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await problemCode(response)).toBe('bad_request');
  });

  it('answers 401 when no token is sent', async () => {
    const response = await fetch(`${api}/api/transactions`);
    expect(response.status).toBe(401);
    expect((await problemCode(response))).toBe('unauthorized');
  });

  it('answers 403 as JSON', async () => {
    const response = await fetch(`${api}/api/transactions`, { headers: bearer('status-403') });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect((await problemCode(response))).toBe('insufficient_scope');
  });

  it('keeps the insufficient_scope challenge on 403', async () => {
    const response = await fetch(`${api}/api/transactions`, { headers: bearer('status-403') });
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope"');
  });

  it('believes X-Forwarded-For only from the gateway address', async () => {
    validator.requests.length = 0;
    await fetch(`${api}/api/transactions`, { headers: { ...bearer('status-403'), 'x-forwarded-for': '198.51.100.7' } });
    expect(validator.requests[0]?.headers['x-real-ip']).toBe('198.51.100.7');

    validator.requests.length = 0;
    await requestFrom('127.0.0.2', `${api}/api/transactions`, { ...bearer('status-403'), 'x-forwarded-for': '198.51.100.7' });
    expect(validator.requests[0]?.headers['x-real-ip']).toBe('127.0.0.2');
  });

  it('sends the client address to the validator', async () => {
    validator.requests.length = 0;
    await fetch(`${api}/api/transactions`, { headers: bearer('status-403') });
    expect(validator.requests[0]?.headers['x-real-ip']).toBe('127.0.0.1');
  });

  it('turns a validator 503 into a JSON 503 with Retry-After', async () => {
    const response = await fetch(`${api}/api/transactions`, { headers: bearer('status-503') });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect((await problemCode(response))).toBe('authorization_unavailable');
  });

  it('defaults Retry-After when the validator 503 has none', async () => {
    const response = await fetch(`${api}/api/transactions`, { headers: bearer('status-503-bare') });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
  });

  it('answers other validator failures with a JSON 500', async () => {
    const response = await fetch(`${api}/api/transactions`, { headers: bearer('status-500') });
    expect(response.status).toBe(500);
    expect(response.headers.get('retry-after')).toBeNull();
    expect((await problemCode(response))).toBe('internal_error');
  });

  it('authorizes before answering 404 for unknown API paths', async () => {
    const anonymous = await fetch(`${api}/api/unknown`);
    expect(anonymous.status).toBe(401);
    const authorized = await fetch(`${api}/api/unknown`, { headers: bearer('good') });
    expect(authorized.status).toBe(404);
    expect((await problemCode(authorized))).toBe('not_found');
  });

  it('routes admin APIs to their services', async () => {
    const routes: Array<[string, string]> = [
      ['/api/sessions/user/user-1', 'session-gateway'],
      ['/api/revocations', 'token-validation'],
      ['/v1/users/abc', 'permission-service'],
    ];
    for (const [path, service] of routes) {
      const response = await fetch(`${api}${path}`, { headers: bearer('good') });
      expect(response.status, path).toBe(200);
      expect(await response.json(), path).toEqual({ served: service });
    }
    const anonymous = await fetch(`${api}/v1/users/abc`);
    expect(anonymous.status).toBe(401);
  });

  it('sets security headers on success and error', async () => {
    for (const headers of [bearer('good'), bearer('bad')]) {
      const response = await fetch(`${api}/api/transactions`, { headers });
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('server')).toBe('nginx');
    }
  });

  it('serves its own health check without a token', async () => {
    const response = await fetch(`${api}/healthz`);
    expect(response.status).toBe(200);
  });
});

describe('platform NGINX config, app server', () => {
  it('forwards everything to session-gateway', async () => {
    gateway.requests.length = 0;
    const response = await fetch(`${app}/auth/login?returnTo=%2F`, { redirect: 'manual' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ served: 'session-gateway' });
    const seen = gateway.requests.at(-1)!;
    expect(seen.url).toBe('/auth/login?returnTo=%2F');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });
});

describe('platform NGINX config, failures', () => {
  it('answers JSON 502 when a backend is down and 429 over the rate', async () => {
    const apiPort = await freePort();
    const rendered = renderPlatformNginxConfig({
      apiListen: `127.0.0.1:${apiPort}`,
      appListen: `127.0.0.1:${await freePort()}`,
      tokenValidation: validator.address,
      sessionGateway: gateway.address,
      permissionService: permissions.address,
      transactionsApi: `127.0.0.1:${downBackendPort}`,
      apiRateLimit: '1r/m',
      apiRateBurst: 1,
    });
    const limited = await startNginx(rendered);
    try {
      const first = await fetch(`http://127.0.0.1:${apiPort}/api/transactions`, { headers: bearer('good') });
      expect(first.status).toBe(502);
      expect((await problemCode(first))).toBe('upstream_unavailable');
      let status = 0;
      for (let attempt = 0; attempt < 5 && status !== 429; attempt += 1) {
        const response = await fetch(`http://127.0.0.1:${apiPort}/api/transactions`, { headers: bearer('good') });
        status = response.status;
        if (status === 429) {
          expect(response.headers.get('retry-after')).toBe('1');
          expect((await problemCode(response))).toBe('rate_limited');
        }
      }
      expect(status).toBe(429);
    } finally {
      await limited.remove();
    }
  });
});

describe('startNginx', () => {
  it('rejects an invalid config with the nginx message', async () => {
    await expect(startNginx({ config: 'server { listen 127.0.0.1:1; no_such_directive on; }' })).rejects.toThrow(/no_such_directive/);
  });

  it('stops with SIGQUIT and removes its prefix', async () => {
    const port = await freePort();
    const server = await startNginx({ config: `server { listen 127.0.0.1:${port}; location / { return 204; } }` });
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(204);
    await server.remove();
    expect(existsSync(server.prefix)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('loads njs only for js_ directives', async () => {
    const port = await freePort();
    const server = await startNginx({
      config: `js_import main from handler.js;\nserver { listen 127.0.0.1:${port}; location / { js_content main.hello; } }`,
      files: { 'handler.js': 'function hello(r) { r.return(200, "njs"); }\nexport default { hello };\n' },
    });
    try {
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('njs');
    } finally {
      await server.remove();
    }
  });

  it('finds listen ports and fails on missing placeholders', () => {
    expect(listenPorts('server {\n  listen 127.0.0.1:8080;\n  listen 9000 default_server;\n}')).toEqual([8080, 9000]);
    expect(() => fillPlaceholders('listen ${API_LISTEN};', {})).toThrow(/API_LISTEN/);
  });
});

/** Sends a GET from a chosen loopback source address, which fetch cannot do. */
function requestFrom(localAddress: string, url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { localAddress, headers }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
