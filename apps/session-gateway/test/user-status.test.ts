import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Browser } from './support/browser.ts';
import { startEnvironment, type RunningGateway, type TestEnvironment } from './support/environment.ts';
import { startPermissionServiceStub, type PermissionServiceStub } from './support/permission-service-stub.ts';
import { jwtPayload, waitForAuditEvent } from './support/queued.ts';
import { SERVICE_CLIENT } from './support/test-provider.ts';

let env: TestEnvironment;
let stub: PermissionServiceStub;
let gateway: RunningGateway;

beforeAll(async () => {
  env = await startEnvironment();
  stub = await startPermissionServiceStub();
  gateway = await env.startGateway({
    env: {
      PERMISSION_SERVICE_URL: stub.url,
      PERMISSION_SERVICE_CLIENT_ID: SERVICE_CLIENT.id,
      PERMISSION_SERVICE_CLIENT_SECRET: SERVICE_CLIENT.secret,
      PERMISSION_SERVICE_TIMEOUT_MS: '300',
      PERMISSION_SERVICE_RETRIES: '2',
    },
  });
});

afterAll(async () => {
  await env?.close();
  await stub?.close();
});

beforeEach(() => {
  stub.calls.length = 0;
  for (const user of ['alice', 'bob', 'admin']) stub.behave(user, { kind: 'user', status: 'active' });
});

async function callback(user: string, accept: string): Promise<{ browser: Browser; response: Response }> {
  const browser = new Browser(`${user}-status-check`);
  const start = await browser.request(`${gateway.url}/auth/login`);
  const callbackUrl = await browser.authorize(start.headers.get('location')!, user, `${user}-password`);
  return { browser, response: await browser.request(callbackUrl, { headers: { accept } }) };
}

describe('login with the permission service', () => {
  it('finds or creates the user with the gateway service token', async () => {
    const { response } = await callback('alice', 'text/html');
    expect(response.status).toBe(303);
    expect(stub.calls).toHaveLength(1);
    expect(stub.calls[0]!.body).toEqual({ subject: 'alice', email: 'alice@example.test', displayName: 'Alice Example' });
    const authorization = String(stub.calls[0]!.headers.authorization);
    expect(authorization.startsWith('Bearer ')).toBe(true);
    const claims = jwtPayload(authorization.slice('Bearer '.length));
    expect(claims['client_id']).toBe(SERVICE_CLIENT.id);
    expect(claims['permissions']).toEqual(expect.arrayContaining(['users:provision']));
  });

  it('reuses the service token across logins', async () => {
    await callback('alice', 'text/html');
    const before = env.provider.tokenRequests('client_credentials');
    await callback('bob', 'text/html');
    expect(env.provider.tokenRequests('client_credentials')).toBe(before);
  });

  it('rejects a suspended user with a page and no session', async () => {
    stub.behave('bob', { kind: 'user', status: 'suspended', suspensionExpiresAt: '2030-01-01T00:00:00.000Z' });
    const { browser, response } = await callback('bob', 'text/html,application/xhtml+xml');
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toContain('text/html');
    const page = await response.text();
    expect(page).toContain('Account suspended');
    expect(page).toContain('2030-01-01T00:00:00.000Z');
    expect(response.headers.getSetCookie().some((header) => header.startsWith('session='))).toBe(false);
    expect((await browser.request(`${gateway.url}/auth/me`)).status).toBe(401);
  });

  it('rejects a deleted user with problem+json to API clients', async () => {
    stub.behave('bob', { kind: 'user', status: 'deleted' });
    const { response } = await callback('bob', 'application/json');
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(((await response.json()) as { code: string }).code).toBe('account_deleted');
  });

  it('audits a refused login', async () => {
    stub.behave('bob', { kind: 'user', status: 'suspended' });
    await callback('bob', 'text/html');
    const event = await waitForAuditEvent(env, (candidate) => candidate.kind === 'auth.login_refused' && candidate.userAgent === 'bob-status-check', 'auth.login_refused event');
    expect(event).toMatchObject({ principal: { type: 'user', id: 'bob' }, decision: 'deny', reason: 'account_suspended', context: { stage: 'account_status' } });
  });

  it('retries transient failures with backoff', async () => {
    stub.behave('alice', { kind: 'fail', times: 2, status: 503, then: { kind: 'user', status: 'active' } });
    const { response } = await callback('alice', 'text/html');
    expect(response.status).toBe(303);
    expect(stub.calls).toHaveLength(3);
  });

  it('rejects the login when the service keeps failing', async () => {
    stub.behave('alice', { kind: 'fail', times: 10, status: 500, then: { kind: 'user', status: 'active' } });
    const { response } = await callback('alice', 'application/json');
    expect(response.status).toBe(503);
    expect(((await response.json()) as { code: string }).code).toBe('user_lookup_failed');
    expect(stub.calls).toHaveLength(3);
  });

  it('does not leave a login hanging on a service that never answers', async () => {
    stub.behave('alice', { kind: 'hang' });
    const { response } = await callback('alice', 'application/json');
    expect(response.status).toBe(503);
    expect(stub.calls).toHaveLength(3);
    expect(response.headers.getSetCookie().some((header) => header.startsWith('session='))).toBe(false);
  });
});
