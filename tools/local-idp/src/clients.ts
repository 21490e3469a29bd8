import { randomBytes } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';
import { PLATFORM_PERMISSIONS } from './accounts.ts';

// OAuth clients registered with the local identity provider.

export const CLIENT_IDS = ['session-gateway', 'demo-m2m-client', 'platform-admin-cli', 'session-gateway-service'] as const;
export type ClientId = (typeof CLIENT_IDS)[number];
export type ClientSecrets = Record<ClientId, string>;

/** Scopes of the platform's business API that users and clients may request. */
export const API_SCOPES = ['transactions:read', 'transactions:write'] as const;

/**
 * Every scope the API's access tokens may carry: the business scopes and, for M2M clients that
 * hold them, the platform permissions. Users get permissions only in the `permissions` claim.
 */
export const RESOURCE_SCOPES = [...API_SCOPES, ...PLATFORM_PERMISSIONS] as const;

/** Permissions put into the `permissions` claim of a client-credentials token, by client. */
export const CLIENT_PERMISSIONS: Record<ClientId, readonly string[]> = {
  'session-gateway': [],
  'demo-m2m-client': [],
  'platform-admin-cli': PLATFORM_PERMISSIONS,
  'session-gateway-service': ['users:provision', 'users:read'],
};

/** Creates a random secret for every client that has none yet. */
export function completeClientSecrets(configured: Partial<ClientSecrets> = {}): ClientSecrets {
  const secrets = {} as ClientSecrets;
  for (const clientId of CLIENT_IDS) secrets[clientId] = configured[clientId] ?? randomBytes(32).toString('base64url');
  return secrets;
}

export interface ClientOptions {
  secrets: ClientSecrets;
  /** Browser-facing origin of the session gateway, such as http://localhost:8000. */
  appOrigin: string;
  /** Extra redirect URIs accepted for the session-gateway client, for tests with other ports. */
  extraRedirectUris?: string[];
}

/**
 * Token endpoint authentication method of each client. The gateway's clients use
 * client_secret_post, the default of openid-client when it is given a secret; the others use HTTP
 * Basic, as command-line tools usually do. oidc-provider accepts only the registered method.
 */
export const CLIENT_AUTH_METHODS: Record<ClientId, 'client_secret_post' | 'client_secret_basic'> = {
  'session-gateway': 'client_secret_post',
  'session-gateway-service': 'client_secret_post',
  'demo-m2m-client': 'client_secret_basic',
  'platform-admin-cli': 'client_secret_basic',
};

export function clientRegistrations(options: ClientOptions): ClientMetadata[] {
  const origin = options.appOrigin.replace(/\/$/, '');
  const m2m = (clientId: ClientId, scope: string): ClientMetadata => ({
    client_id: clientId,
    client_secret: options.secrets[clientId],
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: CLIENT_AUTH_METHODS[clientId],
    scope,
  });
  return [
    {
      client_id: 'session-gateway',
      client_secret: options.secrets['session-gateway'],
      client_name: 'Session gateway',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [`${origin}/auth/callback`, ...(options.extraRedirectUris ?? [])],
      post_logout_redirect_uris: [`${origin}/`, `${origin}/auth/logged-out`],
      token_endpoint_auth_method: CLIENT_AUTH_METHODS['session-gateway'],
      scope: ['openid', 'profile', 'email', 'offline_access', ...API_SCOPES].join(' '),
    },
    m2m('demo-m2m-client', 'transactions:read'),
    m2m('platform-admin-cli', [...API_SCOPES, ...PLATFORM_PERMISSIONS].join(' ')),
    m2m('session-gateway-service', CLIENT_PERMISSIONS['session-gateway-service'].join(' ')),
  ];
}
