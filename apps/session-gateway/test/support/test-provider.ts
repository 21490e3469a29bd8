import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Provider, errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { freePort } from '@platform/testing';

// A real OpenID Connect provider (oidc-provider 9) for the gateway's tests, on 127.0.0.1 at a random
// port. Logins complete with plain HTTP: the interaction page is a form that accepts a user name and
// password and grants every requested scope at once.

export const API_AUDIENCE = 'urn:platform:api';
export const ALL_PERMISSIONS = ['sessions:revoke', 'tokens:revoke', 'users:suspend', 'users:read', 'users:provision', 'roles:manage', 'audit:read', 'clients:manage'];

export const USERS: Record<string, { password: string; name: string; email: string; permissions: string[] }> = {
  alice: { password: 'alice-password', name: 'Alice Example', email: 'alice@example.test', permissions: [] },
  bob: { password: 'bob-password', name: 'Bob Example', email: 'bob@example.test', permissions: [] },
  admin: { password: 'admin-password', name: 'Platform Administrator', email: 'admin@example.test', permissions: ALL_PERMISSIONS },
};

export const GATEWAY_CLIENT = { id: 'session-gateway', secret: 'session-gateway-test-secret' };
export const SERVICE_CLIENT = { id: 'session-gateway-service', secret: 'session-gateway-service-test-secret', permissions: ['users:provision', 'users:read'] };
export const ADMIN_CLIENT = { id: 'platform-admin-cli', secret: 'platform-admin-cli-test-secret', permissions: ALL_PERMISSIONS };
export const PLAIN_CLIENT = { id: 'demo-m2m-client', secret: 'demo-m2m-client-test-secret', permissions: [] as string[] };

export interface TestProviderOptions {
  /** Redirect URIs of the gateway client. */
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** Lifetime of access tokens in seconds (default 600). */
  accessTokenTtlSeconds?: number;
}

export interface TestProvider {
  readonly issuer: string;
  readonly jwksUri: string;
  /** Token endpoint requests seen, by grant type. */
  tokenRequests(grantType: string): number;
  /** Makes every refresh-token grant fail with invalid_grant while set. */
  setRefreshFailing(failing: boolean): void;
  /** Adds a delay to refresh-token grants, to widen the window for concurrent requests. */
  setRefreshDelayMs(ms: number): void;
  /** Client-credentials access token for one of the registered M2M clients. */
  clientToken(clientId: string, secret: string, scope?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startTestProvider(options: TestProviderOptions): Promise<TestProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const counts = new Map<string, number>();
  let refreshFailing = false;
  let refreshDelayMs = 0;
  const ttl = options.accessTokenTtlSeconds ?? 600;

  const configuration: Configuration = {
    clients: [
      {
        client_id: GATEWAY_CLIENT.id,
        client_secret: GATEWAY_CLIENT.secret,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.postLogoutRedirectUris,
      },
      ...[SERVICE_CLIENT, ADMIN_CLIENT, PLAIN_CLIENT].map((m2m) => ({
        client_id: m2m.id,
        client_secret: m2m.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      })),
    ],
    cookies: { keys: ['test-provider-cookie-key'] },
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
    scopes: ['openid', 'offline_access', 'profile', 'email', ...ALL_PERMISSIONS],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== API_AUDIENCE) throw new errors.InvalidTarget();
          return { scope: ALL_PERMISSIONS.join(' '), audience: API_AUDIENCE, accessTokenFormat: 'jwt', accessTokenTTL: ttl, jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: async (_ctx, id) => {
      const user = USERS[id];
      if (user === undefined) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, name: user.name, email: user.email }) };
    },
    extraTokenClaims: async (_ctx, token) => {
      const holder = 'accountId' in token && typeof token.accountId === 'string' ? USERS[token.accountId]?.permissions : permissionsOfClient(token.clientId);
      return holder && holder.length > 0 ? { permissions: holder } : undefined;
    },
    ttl: { AccessToken: ttl, ClientCredentials: ttl, IdToken: 3600, RefreshToken: 86_400, Grant: 86_400, Session: 86_400, Interaction: 600 },
  };

  const provider = new Provider(issuer, configuration);
  provider.proxy = false;
  provider.use(async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    if (ctx.path === '/token' && ctx.method === 'POST') {
      if (refreshDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, refreshDelayMs));
      await next();
      const grantType = String(ctx.oidc?.params?.['grant_type'] ?? 'unknown');
      counts.set(grantType, (counts.get(grantType) ?? 0) + 1);
      if (grantType === 'refresh_token' && refreshFailing) {
        ctx.status = 400;
        ctx.body = { error: 'invalid_grant', error_description: 'refresh token rejected by the test provider' };
      }
      return;
    }
    await next();
  });

  const callback = provider.callback();
  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', issuer);
    const match = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(url.pathname);
    if (match === null) {
      callback(request, response);
      return;
    }
    const details = await provider.interactionDetails(request, response);
    if (request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginForm(details.uid));
      return;
    }
    const form = new URLSearchParams(await readBody(request));
    const login = form.get('login') ?? '';
    const user = USERS[login];
    if (user === undefined || user.password !== form.get('password')) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginForm(details.uid, 'Invalid user name or password.'));
      return;
    }
    const grant = new provider.Grant({ accountId: login, clientId: String(details.params['client_id']) });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    grant.addOIDCScope([...(missing.missingOIDCScope ?? []), 'openid'].join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
    grant.addResourceScope(API_AUDIENCE, '');
    const grantId = await grant.save();
    await provider.interactionFinished(request, response, { login: { accountId: login }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    tokenRequests: (grantType) => counts.get(grantType) ?? 0,
    setRefreshFailing: (failing) => {
      refreshFailing = failing;
    },
    setRefreshDelayMs: (ms) => {
      refreshDelayMs = ms;
    },
    clientToken: async (clientId, secret, scope) => {
      const body = new URLSearchParams({ grant_type: 'client_credentials', resource: API_AUDIENCE, ...(scope ? { scope } : {}) });
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      const json = (await response.json()) as { access_token?: string; error?: string };
      if (json.access_token === undefined) throw new Error(`client credentials failed: ${json.error ?? response.status}`);
      return json.access_token;
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function permissionsOfClient(clientId: string | undefined): string[] | undefined {
  return [SERVICE_CLIENT, ADMIN_CLIENT, PLAIN_CLIENT].find((client) => client.id === clientId)?.permissions;
}

function loginForm(uid: string, message = ''): string {
  return `<!doctype html><html><body><form method="post" action="/interaction/${uid}/login">
<p>${message}</p><input name="login"><input name="password" type="password"><button type="submit">Log in</button></form></body></html>`;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}
