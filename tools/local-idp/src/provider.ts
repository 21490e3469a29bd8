import Provider, { errors, type Account, type KoaContextWithOIDC, type Token } from 'oidc-provider';
import { findAccountBySubject } from './accounts.ts';
import { CLIENT_PERMISSIONS, RESOURCE_SCOPES, clientRegistrations, type ClientId, type ClientSecrets } from './clients.ts';
import type { ProviderKeys } from './keys.ts';
import { errorPage, logoutPage, logoutSuccessPage } from './pages.ts';

/** Lifetimes of the provider's artifacts, in seconds. */
export interface TokenLifetimes {
  accessToken: number;
  clientCredentials: number;
  idToken: number;
  refreshToken: number;
  session: number;
}

export const DEFAULT_LIFETIMES: TokenLifetimes = {
  accessToken: 900,
  clientCredentials: 600,
  idToken: 900,
  refreshToken: 8 * 60 * 60,
  session: 8 * 60 * 60,
};

export interface ProviderOptions {
  issuer: string;
  /** Audience (resource indicator) of the platform API's access tokens. */
  audience: string;
  appOrigin: string;
  extraRedirectUris?: string[];
  secrets: ClientSecrets;
  keys: ProviderKeys;
  lifetimes: TokenLifetimes;
}

function permissionsOf(token: Token): readonly string[] {
  if (token.kind === 'ClientCredentials') return CLIENT_PERMISSIONS[token.clientId as ClientId] ?? [];
  if (token.accountId !== undefined) return findAccountBySubject(token.accountId)?.permissions ?? [];
  return [];
}

/**
 * Builds the oidc-provider instance. Access tokens for the platform API are RS256 JWTs with the
 * API's audience, whether or not the client names the resource, and carry a `permissions` claim
 * for privileged users and clients.
 */
export function createProvider(options: ProviderOptions): Provider {
  // NOTE: oidc-provider keeps grants, sessions and refresh tokens in its in-memory adapter, so a
  // restart logs everyone out of the provider and invalidates refresh tokens (signing keys persist).
  const configuration = {
    clients: clientRegistrations({ secrets: options.secrets, appOrigin: options.appOrigin, extraRedirectUris: options.extraRedirectUris }),
    jwks: { keys: options.keys.signingKeys },
    cookies: { keys: options.keys.cookieKeys },
    scopes: ['openid', 'offline_access', 'profile', 'email', ...RESOURCE_SCOPES],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    // Scope-requested claims go into the ID token too, because the access token is a JWT for the
    // platform API and cannot be used at the userinfo endpoint.
    conformIdTokenClaims: false,
    async findAccount(_ctx: KoaContextWithOIDC, subject: string): Promise<Account | undefined> {
      const account = findAccountBySubject(subject);
      if (account === undefined) return undefined;
      return {
        accountId: account.subject,
        claims: () => ({
          sub: account.subject,
          email: account.email,
          email_verified: true,
          name: account.name,
          preferred_username: account.username,
        }),
      };
    },
    interactions: {
      url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: logoutPage,
        postLogoutSuccessSource: logoutSuccessPage,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx: KoaContextWithOIDC, _client: unknown, oneOf?: string[]) => oneOf ?? options.audience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: KoaContextWithOIDC, resourceIndicator: string) => {
          if (resourceIndicator !== options.audience) throw new errors.InvalidTarget(`unknown resource ${resourceIndicator}`);
          return {
            scope: RESOURCE_SCOPES.join(' '),
            audience: options.audience,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    pkce: { required: () => true },
    // Refresh tokens go to every client allowed the refresh_token grant, without the
    // `offline_access` scope, which oidc-provider drops unless the request also has prompt=consent.
    issueRefreshToken: async (_ctx: KoaContextWithOIDC, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    async extraTokenClaims(_ctx: KoaContextWithOIDC, token: Token) {
      const permissions = permissionsOf(token);
      return permissions.length > 0 ? { permissions: [...permissions] } : undefined;
    },
    ttl: {
      AccessToken: options.lifetimes.accessToken,
      ClientCredentials: options.lifetimes.clientCredentials,
      IdToken: options.lifetimes.idToken,
      RefreshToken: options.lifetimes.refreshToken,
      Session: options.lifetimes.session,
      Grant: options.lifetimes.refreshToken,
      Interaction: 600,
      AuthorizationCode: 60,
    },
    renderError: errorPage,
    enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
  };
  return new Provider(options.issuer, configuration);
}
