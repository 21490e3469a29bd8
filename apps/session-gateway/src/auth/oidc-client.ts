import * as client from 'openid-client';
import type { Logger } from 'pino';
import type { SessionTokens } from '../sessions/session-store.ts';

export interface OidcSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
  readonly scopes: string;
  /** API audience; sent as `audience` (Auth0) and `resource` (RFC 8707) when set. */
  readonly audience?: string | undefined;
  /** Allows plain-HTTP issuers, for the local provider only. */
  readonly allowInsecureHttp: boolean;
  readonly timeoutSeconds: number;
}

/** Identity claims kept in the session, from the verified ID token. */
export interface LoginIdentity {
  readonly subject: string;
  readonly name?: string | undefined;
  readonly email?: string | undefined;
}

/** The provider rejected a grant (for example `invalid_grant`), so retrying with the same input will not help. */
export class GrantRejectedError extends Error {
  readonly error: string;

  constructor(error: string, message: string) {
    super(message);
    this.name = 'GrantRejectedError';
    this.error = error;
  }
}

// Used when a token response carries neither `expires_in` nor a JWT `exp`.
const DEFAULT_ACCESS_TOKEN_LIFETIME_MS = 5 * 60_000;

/**
 * OpenID Connect relying party over openid-client 6. Discovery runs on first use and again after a
 * failure, so the gateway can start before its identity provider.
 */
export class OidcClient {
  private readonly settings: OidcSettings;
  private readonly logger: Logger;
  private readonly now: () => number;
  private discovered: Promise<client.Configuration> | undefined;

  constructor(settings: OidcSettings, logger: Logger, now: () => number = Date.now) {
    this.settings = settings;
    this.logger = logger;
    this.now = now;
  }

  /** Resolves the provider configuration, discovering it when needed. */
  configuration(): Promise<client.Configuration> {
    this.discovered ??= this.discover().catch((error: unknown) => {
      this.discovered = undefined;
      throw error;
    });
    return this.discovered;
  }

  /** Builds a configuration for another client of the same provider, such as the service client. */
  async configurationFor(clientId: string, clientSecret: string): Promise<client.Configuration> {
    const main = await this.configuration();
    const other = new client.Configuration(main.serverMetadata(), clientId, clientSecret);
    this.applyTransport(other);
    return other;
  }

  async authorizationUrl(parameters: { state: string; nonce: string; codeChallenge: string }): Promise<URL> {
    const configuration = await this.configuration();
    return client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes,
      state: parameters.state,
      nonce: parameters.nonce,
      code_challenge: parameters.codeChallenge,
      code_challenge_method: 'S256',
      ...this.audienceParameters(),
    });
  }

  /**
   * Exchanges the authorization code from a callback query for tokens, checking state, nonce, PKCE
   * and the ID token.
   */
  async exchangeCode(callbackQuery: string, checks: { state: string; nonce: string; codeVerifier: string }): Promise<{ tokens: SessionTokens; identity: LoginIdentity }> {
    const configuration = await this.configuration();
    // The token request must carry the registered redirect URI, not the URL this replica was reached at.
    const callbackUrl = new URL(this.settings.redirectUri);
    callbackUrl.search = callbackQuery;
    const response = await client.authorizationCodeGrant(configuration, callbackUrl, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const claims = response.claims();
    if (claims === undefined) throw new GrantRejectedError('invalid_id_token', 'the token response has no ID token');
    return {
      tokens: this.toSessionTokens(response),
      identity: {
        subject: claims.sub,
        name: typeof claims['name'] === 'string' ? claims['name'] : undefined,
        email: typeof claims['email'] === 'string' ? claims['email'] : undefined,
      },
    };
  }

  /** Refreshes tokens; throws GrantRejectedError when the provider refuses the refresh token. */
  async refresh(refreshToken: string): Promise<SessionTokens> {
    const configuration = await this.configuration();
    try {
      return this.toSessionTokens(await client.refreshTokenGrant(configuration, refreshToken));
    } catch (error) {
      throw asGrantRejection(error);
    }
  }

  /** Requests a client-credentials token for another client of the same provider. */
  async clientCredentials(configuration: client.Configuration, scope: string): Promise<{ accessToken: string; expiresAt: number }> {
    try {
      const response = await client.clientCredentialsGrant(configuration, { ...(scope === '' ? {} : { scope }), ...this.audienceParameters() });
      return { accessToken: response.access_token, expiresAt: this.expiryOf(response) };
    } catch (error) {
      throw asGrantRejection(error);
    }
  }

  /**
   * RP-initiated logout URL when the provider advertises an end-session endpoint, else undefined.
   * The URL names the client by `client_id` rather than `id_token_hint`, so the ID token never
   * reaches the browser, not even at logout.
   */
  async endSessionUrl(): Promise<URL | undefined> {
    const configuration = await this.configuration();
    if (configuration.serverMetadata().end_session_endpoint === undefined) return undefined;
    return client.buildEndSessionUrl(configuration, { post_logout_redirect_uri: this.settings.postLogoutRedirectUri });
  }

  private async discover(): Promise<client.Configuration> {
    const execute = this.settings.allowInsecureHttp ? [client.allowInsecureRequests] : [];
    const configuration = await client.discovery(new URL(this.settings.issuer), this.settings.clientId, this.settings.clientSecret, undefined, {
      execute,
      timeout: this.settings.timeoutSeconds,
    });
    this.logger.info({ issuer: this.settings.issuer }, 'identity provider discovered');
    return configuration;
  }

  private applyTransport(configuration: client.Configuration): void {
    configuration.timeout = this.settings.timeoutSeconds;
    if (this.settings.allowInsecureHttp) client.allowInsecureRequests(configuration);
  }

  private audienceParameters(): Record<string, string> {
    const audience = this.settings.audience;
    return audience === undefined ? {} : { audience, resource: audience };
  }

  private toSessionTokens(response: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers): SessionTokens {
    return {
      accessToken: response.access_token,
      refreshToken: response.refresh_token,
      idToken: response.id_token,
      accessTokenExpiresAt: this.expiryOf(response),
    };
  }

  private expiryOf(response: client.TokenEndpointResponse): number {
    if (typeof response.expires_in === 'number') return this.now() + response.expires_in * 1000;
    const exp = jwtExpiry(response.access_token);
    if (exp !== undefined) return exp * 1000;
    // NOTE: a provider that states no lifetime gets an assumed one; the token may die earlier.
    return this.now() + DEFAULT_ACCESS_TOKEN_LIFETIME_MS;
  }
}

function asGrantRejection(error: unknown): unknown {
  if (error instanceof client.ResponseBodyError && error.status >= 400 && error.status < 500) {
    return new GrantRejectedError(error.error, `the identity provider rejected the grant: ${error.error}`);
  }
  return error;
}

function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const exp = typeof claims === 'object' && claims !== null ? (claims as { exp?: unknown }).exp : undefined;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}
