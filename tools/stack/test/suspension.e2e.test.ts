import { afterAll, describe, expect, it } from 'vitest';
import { BrowserClient, loginWithForm, waitFor } from '@platform/testing';
import { freeStackPorts } from '../src/ports.ts';
import { startStack, type RunningStack } from '../src/stack.ts';
import { createStackDir, logTails, stackClientToken } from './support/stack-fixture.ts';

// A user logged in through the gateway is suspended for two seconds through permission-service:
// every /api call is refused and a new login is refused while the suspension runs, and after it
// ends the user logs in and calls the API again without any administrator action.

let stack: RunningStack | undefined;
const { stackDir, remove: removeStackDir } = createStackDir('platform-suspension-e2e-');

afterAll(async () => {
  await stack?.stop();
  removeStackDir();
});

/** Logs alice in with a fresh browser; `loggedIn` is true when the gateway gave her a session. */
async function logIn(running: RunningStack): Promise<{ browser: BrowserClient; loggedIn: boolean; status: number; body: string }> {
  const browser = new BrowserClient({ userAgent: 'suspension-e2e/1.0' });
  const landed = await loginWithForm(browser, `${running.urls.app}/auth/login`, { username: 'alice', password: 'alice-password' });
  const me = await browser.request(`${running.urls.app}/auth/me`, { headers: { accept: 'application/json' }, followRedirects: false });
  return { browser, loggedIn: me.status === 200, status: landed.status, body: landed.body };
}

async function callApi(browser: BrowserClient, running: RunningStack): Promise<number> {
  const response = await browser.request(`${running.urls.app}/api/transactions`, { headers: { accept: 'application/json' }, followRedirects: false });
  return response.status;
}

describe('suspension through the whole stack', () => {
  it('refuses a suspended user everywhere and lets the user back in after expiry', async () => {
    try {
      stack = await startStack({ ports: await freeStackPorts(), stackDir, logLevel: 'info', installPackages: false });
      const running = stack;

      const session = await logIn(running);
      expect(session.loggedIn).toBe(true);
      await waitFor(async () => (await callApi(session.browser, running)) === 200, 'the logged-in user to reach the API', 30_000, 200);

      const token = await stackClientToken(running, 'platform-admin-cli', 'users:suspend users:read');
      const service = running.urls.permissionService;
      const found = await fetch(`${service}/v1/users?subject=alice`, { headers: { authorization: `Bearer ${token}` } });
      const [alice] = ((await found.json()) as { users: { id: string }[] }).users;
      expect(alice).toBeDefined();

      const suspended = await fetch(`${service}/v1/users/${alice!.id}/suspension`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'end-to-end suspension', durationSeconds: 2 }),
      });
      expect(suspended.status).toBe(201);
      const { suspension } = (await suspended.json()) as { suspension: { expiresAt: string } };
      const suspendedAt = Date.now();

      // While the suspension runs: the existing session's API calls are refused and a fresh login
      // is refused. Both run at once so that both fit into the two seconds.
      const [apiRefusedAfterMs, relogin] = await Promise.all([
        (async () => {
          await waitFor(async () => (await callApi(session.browser, running)) !== 200, 'API calls of the suspended user to be refused', 10_000, 20);
          return Date.now() - suspendedAt;
        })(),
        logIn(running),
      ]);
      expect(apiRefusedAfterMs, `refusal arrived ${apiRefusedAfterMs} ms after the suspension`).toBeLessThan(Date.parse(suspension.expiresAt) - suspendedAt + 1_000);
      expect([401, 403]).toContain(await callApi(session.browser, running));
      expect(relogin.loggedIn).toBe(false);
      expect(relogin.status).toBe(403);
      expect(relogin.body).toContain('suspended');

      // After the end, without any administrator action, the user logs in again and reaches the API.
      let back: Awaited<ReturnType<typeof logIn>> | undefined;
      await waitFor(async () => {
        back = await logIn(running);
        return back.loggedIn;
      }, 'the user to log in again after the suspension ended', 30_000, 250);
      await waitFor(async () => (await callApi(back!.browser, running)) === 200, 'the user to reach the API again', 30_000, 200);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${logTails(stackDir)}`, { cause: error });
    }
  });
});
