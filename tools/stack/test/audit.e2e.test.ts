import { afterAll, describe, expect, it } from 'vitest';
import { BrowserClient, loginWithForm, waitFor } from '@platform/testing';
import { freeStackPorts } from '../src/ports.ts';
import { startStack, type RunningStack } from '../src/stack.ts';
import { createStackDir, logTails, stackClientToken } from './support/stack-fixture.ts';

// A user through the session gateway and an M2M client with a bearer token from the local identity
// provider both read /api/transactions/42. token-validation publishes both access decisions,
// permission-service ingests them, and "who accessed transactions/42" lists the user and the client
// together with their request counts.

const USER_CALLS = 2;
const CLIENT_CALLS = 3;

let stack: RunningStack | undefined;
const { stackDir, remove: removeStackDir } = createStackDir('platform-audit-e2e-');

afterAll(async () => {
  await stack?.stop();
  removeStackDir();
});

interface PrincipalRow {
  principalType: string;
  principalId: string;
  events: number;
  allowed: number;
  denied: number;
}

describe('one audit trail for users and M2M clients', () => {
  it('lists both principals of transactions/42', async () => {
    try {
      stack = await startStack({ ports: await freeStackPorts(), stackDir, logLevel: 'info', installPackages: false });
      const running = stack;
      const from = new Date(Date.now() - 60_000).toISOString();

      // The user, through the browser-facing gateway.
      const browser = new BrowserClient({ userAgent: 'audit-e2e/1.0' });
      await loginWithForm(browser, `${running.urls.app}/auth/login`, { username: 'alice', password: 'alice-password' });
      const me = await browser.request(`${running.urls.app}/auth/me`, { headers: { accept: 'application/json' }, followRedirects: false });
      expect(me.status).toBe(200);
      // token-validation returns 503 until its blacklist replica is in sync. The collection path
      // names no single resource, so waiting on it adds nothing to the counts checked below.
      await waitFor(async () => {
        const response = await browser.request(`${running.urls.app}/api/transactions`, { headers: { accept: 'application/json' }, followRedirects: false });
        return response.status === 200;
      }, 'the logged-in user to reach the API', 30_000, 200);
      for (let call = 0; call < USER_CALLS; call += 1) {
        const response = await browser.request(`${running.urls.app}/api/transactions/42`, { headers: { accept: 'application/json' }, followRedirects: false });
        expect(response.status).toBe(200);
      }

      // The M2M client, straight to the API with its bearer token.
      const m2mToken = await stackClientToken(running, 'demo-m2m-client', 'transactions:read');
      for (let call = 0; call < CLIENT_CALLS; call += 1) {
        const response = await fetch(`${running.urls.api}/api/transactions/42`, { headers: { authorization: `Bearer ${m2mToken}` } });
        expect(response.status).toBe(200);
      }

      // The access decisions travel through BullMQ, so the trail catches up within moments.
      const auditToken = await stackClientToken(running, 'platform-admin-cli', 'audit:read');
      let principals: PrincipalRow[] = [];
      await waitFor(async () => {
        const to = new Date(Date.now() + 60_000).toISOString();
        const response = await fetch(`${running.urls.permissionService}/v1/audit/resources/transactions/42/principals?from=${from}&to=${to}`, {
          headers: { authorization: `Bearer ${auditToken}` },
        });
        if (response.status !== 200) throw new Error(`resource query returned ${response.status}: ${await response.text()}`);
        principals = ((await response.json()) as { items: PrincipalRow[] }).items;
        const total = principals.reduce((sum, row) => sum + row.events, 0);
        return total >= USER_CALLS + CLIENT_CALLS;
      }, 'both principals in the audit trail', 60_000, 250);

      const byType = Object.fromEntries(principals.map((row) => [row.principalType, row]));
      expect(principals).toHaveLength(2);
      expect(byType['m2m']).toMatchObject({ principalId: 'demo-m2m-client', events: CLIENT_CALLS, allowed: CLIENT_CALLS, denied: 0 });
      expect(byType['user']).toMatchObject({ events: USER_CALLS, allowed: USER_CALLS, denied: 0 });
      expect(byType['user']!.principalId).not.toBe('demo-m2m-client');
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${logTails(stackDir)}`, { cause: error });
    }
  });
});
