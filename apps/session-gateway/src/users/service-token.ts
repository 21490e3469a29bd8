import type { OidcClient } from '../auth/oidc-client.ts';

/**
 * Client-credentials access token of the gateway's service client, cached until shortly before it
 * expires. Concurrent callers share one token request.
 */
export class ServiceTokenSource {
  private readonly oidc: OidcClient;
  private readonly clientId: string;
  private readonly clientSecret: string;
  private readonly scope: string;
  private readonly now: () => number;
  private cached: { accessToken: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(oidc: OidcClient, options: { clientId: string; clientSecret: string; scope: string; now?: () => number }) {
    this.oidc = oidc;
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.scope = options.scope;
    this.now = options.now ?? Date.now;
  }

  async token(): Promise<string> {
    // A token within 30 seconds of its expiry could expire on the way; fetch a new one instead.
    if (this.cached !== undefined && this.cached.expiresAt - 30_000 > this.now()) return this.cached.accessToken;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Drops the cached token, after the permission service refused it. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async fetchToken(): Promise<string> {
    const configuration = await this.oidc.configurationFor(this.clientId, this.clientSecret);
    this.cached = await this.oidc.clientCredentials(configuration, this.scope);
    return this.cached.accessToken;
  }
}
