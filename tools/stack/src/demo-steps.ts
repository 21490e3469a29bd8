import { BrowserClient, loginWithForm } from './browser-client.ts';

// The main request path, walked over real HTTP as a browser and an API client would. Each step
// prints one line and the run succeeds only if every step behaved as expected.

export interface DemoTarget {
  /** Browser-facing origin (NGINX app server in front of session-gateway). */
  appUrl: string;
  /** NGINX API server. */
  apiUrl: string;
  issuer: string;
  /** Secret of demo-m2m-client, for the API-client steps. */
  m2mClientSecret?: string;
}

interface Identity {
  userId?: string;
  clientId?: string;
  principalType?: string;
  scopes?: string[];
  requestId?: string;
}

type Print = (line: string) => void;

function tamperPayload(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  change(claims);
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

async function m2mToken(target: DemoTarget, secret: string): Promise<string> {
  const response = await fetch(`${target.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`demo-m2m-client:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'transactions:read' }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (body.access_token === undefined) throw new Error(`client credentials grant failed: ${body.error ?? response.status}`);
  return body.access_token;
}

const MAX_ATTEMPTS = 5;

/**
 * Sends a request again while the response is 503, waiting as long as Retry-After says (at most
 * 5 s), as a well-behaved client does. token-validation returns 503 while it cannot vouch for the
 * freshness of its blacklist, which happens for moments on a busy machine. Gives up after five attempts.
 */
async function retryingUnavailable<T extends { status: number; headers: Headers }>(send: () => Promise<T>, print: Print): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const response = await send();
    if (response.status !== 503 || attempt === MAX_ATTEMPTS) return response;
    const seconds = Math.min(Number(response.headers.get('retry-after') ?? '1') || 1, 5);
    print(`      503 with Retry-After ${seconds}; retrying (attempt ${attempt + 1} of ${MAX_ATTEMPTS})`);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
}

/** Runs every demo step; returns true only if all of them behaved as expected. */
export async function runDemo(target: DemoTarget, print: Print): Promise<boolean> {
  let failures = 0;
  const step = async (title: string, action: () => Promise<string>) => {
    try {
      const detail = await action();
      print(`ok    ${title}${detail ? `\n      ${detail.replace(/\n/g, '\n      ')}` : ''}`);
    } catch (error) {
      failures += 1;
      print(`FAIL  ${title}\n      ${(error as Error).message.replace(/\n/g, '\n      ')}`);
    }
  };
  const expect = (condition: boolean, message: string) => {
    if (!condition) throw new Error(message);
  };

  const browser = new BrowserClient({ userAgent: 'platform-demo/1.0' });

  await step('log in as alice through the gateway and the provider login form', async () => {
    const landed = await loginWithForm(browser, `${target.appUrl}/auth/login`, { username: 'alice', password: 'alice-password' });
    const callback = landed.redirects.find((url) => url.startsWith(`${target.appUrl}/auth/callback`));
    expect(callback !== undefined, `the login never reached ${target.appUrl}/auth/callback; it ended at ${landed.url} with status ${landed.status}`);
    expect(new URL(landed.url).origin === target.appUrl, `after the callback the browser landed on ${landed.url}, outside ${target.appUrl}`);
    expect(landed.status < 500, `after the callback the browser landed on ${landed.url} with status ${landed.status}`);
    const me = await browser.request(`${target.appUrl}/auth/me`);
    expect(me.status === 200, `GET /auth/me answered ${me.status}: ${me.body.slice(0, 300)}`);
    expect(!/eyJ[\w-]+\.eyJ/.test(me.body), 'GET /auth/me exposed a token to the browser');
    return `redirects: ${landed.redirects.length - 1}, /auth/me: ${me.body.slice(0, 300)}`;
  });

  await step('GET /api/transactions through gateway -> NGINX -> token-validation -> sample backend', async () => {
    const response = await retryingUnavailable(() => browser.request(`${target.appUrl}/api/transactions`, { headers: { accept: 'application/json' } }), print);
    expect(response.status === 200, `expected 200, got ${response.status}: ${response.body.slice(0, 300)}`);
    const identity = response.json<{ identity: Identity }>().identity;
    expect(identity.userId === 'alice', `the backend saw user ${JSON.stringify(identity.userId)}, expected "alice"`);
    expect(identity.principalType === 'user', `the backend saw principal type ${JSON.stringify(identity.principalType)}, expected "user"`);
    return `identity the backend saw: ${JSON.stringify(identity)}`;
  });

  await step('a request without a session is refused with 401', async () => {
    const anonymous = new BrowserClient();
    const response = await anonymous.request(`${target.appUrl}/api/transactions`, { headers: { accept: 'application/json' }, followRedirects: false });
    expect(response.status === 401, `expected 401, got ${response.status}: ${response.body.slice(0, 300)}`);
    return `401 ${response.body.slice(0, 200)}`;
  });

  if (target.m2mClientSecret === undefined) {
    failures += 1;
    print('FAIL  API-client steps: no client secrets found; start the stack with `npm start` first');
  } else {
    const secret = target.m2mClientSecret;
    let token = '';
    await step('an M2M client with a bearer token calls NGINX directly', async () => {
      token = await m2mToken(target, secret);
      const response = await retryingUnavailable(() => fetch(`${target.apiUrl}/api/transactions/42`, { headers: { authorization: `Bearer ${token}` } }), print);
      const text = await response.text();
      expect(response.status === 200, `expected 200, got ${response.status}: ${text.slice(0, 300)}`);
      const identity = (JSON.parse(text) as { identity: Identity }).identity;
      expect(identity.clientId === 'demo-m2m-client', `the backend saw client ${JSON.stringify(identity.clientId)}, expected "demo-m2m-client"`);
      expect(identity.principalType === 'm2m', `the backend saw principal type ${JSON.stringify(identity.principalType)}, expected "m2m"`);
      return `identity the backend saw: ${JSON.stringify(identity)}`;
    });

    await step('a tampered token (payload changed after signing) is refused with 401', async () => {
      expect(token !== '', 'no token to tamper with, because the previous step failed');
      const tampered = tamperPayload(token, (claims) => {
        claims['sub'] = 'admin';
        claims['scope'] = 'transactions:read transactions:write';
      });
      const response = await retryingUnavailable(() => fetch(`${target.apiUrl}/api/transactions`, { headers: { authorization: `Bearer ${tampered}` } }), print);
      const text = await response.text();
      expect(response.status === 401, `expected 401, got ${response.status}: ${text.slice(0, 300)}`);
      return `401 WWW-Authenticate: ${response.headers.get('www-authenticate') ?? '(none)'}`;
    });
  }

  print(failures === 0 ? '\nEvery step behaved as expected.' : `\n${failures} step(s) did not behave as expected.`);
  return failures === 0;
}
