import type { Logger } from 'pino';
import { GrantRejectedError, type OidcClient } from '../auth/oidc-client.ts';
import type { Session, SessionStore } from '../sessions/session-store.ts';

export type FreshSession = { ok: true; session: Session } | { ok: false; reason: 'refresh_failed' | 'session_ended' };

export interface TokenRefresherOptions {
  /** Refresh when the access token expires within this many ms. */
  readonly marginMs: number;
  /** Lifetime of the refresh lock; also the longest a request waits for another replica's refresh. */
  readonly lockMs: number;
  readonly pollIntervalMs?: number;
  readonly now?: () => number;
}

/**
 * Keeps a session's access token fresh before it is proxied. One request per session refreshes,
 * across all replicas: it takes a short Redis lock, and concurrent requests wait until the token
 * version in the record changes. A refresh the provider rejects ends the session.
 */
export class TokenRefresher {
  private readonly sessions: SessionStore;
  private readonly oidc: OidcClient;
  private readonly logger: Logger;
  private readonly marginMs: number;
  private readonly lockMs: number;
  private readonly pollIntervalMs: number;
  private readonly now: () => number;

  constructor(sessions: SessionStore, oidc: OidcClient, logger: Logger, options: TokenRefresherOptions) {
    this.sessions = sessions;
    this.oidc = oidc;
    this.logger = logger;
    this.marginMs = options.marginMs;
    this.lockMs = options.lockMs;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.now = options.now ?? Date.now;
  }

  async ensureFresh(session: Session): Promise<FreshSession> {
    if (session.accessTokenExpiresAt - this.now() > this.marginMs) return { ok: true, session };
    if (!session.hasRefreshToken) return this.withoutRefresh(session);

    const owner = await this.sessions.acquireRefreshLock(session.locator, this.lockMs);
    if (owner === undefined) return this.awaitOtherRefresh(session);
    try {
      return await this.refresh(session);
    } finally {
      await this.sessions.releaseRefreshLock(session.locator, owner).catch((error: unknown) => {
        this.logger.warn({ err: error, code: 'refresh_lock_release_failed' }, 'refresh lock could not be released; it expires on its own');
      });
    }
  }

  private async refresh(seen: Session): Promise<FreshSession> {
    const current = await this.sessions.read(seen.locator);
    if (current === undefined) return { ok: false, reason: 'session_ended' };
    // Another request refreshed between our read and taking the lock.
    if (current.tokenVersion !== seen.tokenVersion) return { ok: true, session: current };

    let refreshToken: string | undefined;
    try {
      refreshToken = this.sessions.openToken(current, 'refreshToken');
    } catch {
      refreshToken = undefined;
    }
    if (refreshToken === undefined) return this.endSession(current, 'refresh token unreadable');

    try {
      const tokens = await this.oidc.refresh(refreshToken);
      if (!(await this.sessions.updateTokens(current.locator, tokens))) return { ok: false, reason: 'session_ended' };
      const updated = await this.sessions.read(current.locator);
      return updated === undefined ? { ok: false, reason: 'session_ended' } : { ok: true, session: updated };
    } catch (error) {
      if (error instanceof GrantRejectedError) return this.endSession(current, `provider rejected the refresh: ${error.error}`);
      // A network failure or provider outage: keep going with the current token while it lasts.
      this.logger.warn({ err: error, sessionId: current.publicId, code: 'token_refresh_unavailable' }, 'token refresh failed; using the current access token');
      if (current.accessTokenExpiresAt > this.now()) return { ok: true, session: current };
      return this.endSession(current, 'refresh failed and the access token has expired');
    }
  }

  private async awaitOtherRefresh(seen: Session): Promise<FreshSession> {
    const deadline = this.now() + this.lockMs;
    while (this.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, this.pollIntervalMs));
      const current = await this.sessions.read(seen.locator);
      if (current === undefined) return { ok: false, reason: 'session_ended' };
      if (current.tokenVersion !== seen.tokenVersion) return { ok: true, session: current };
      if (!(await this.sessions.isRefreshLocked(seen.locator))) break;
    }
    // The other refresh ended without new tokens. Its holder has already ended the session if the
    // provider rejected the refresh, so a session still here is usable only while its token lasts.
    const current = await this.sessions.read(seen.locator);
    if (current === undefined) return { ok: false, reason: 'session_ended' };
    if (current.tokenVersion !== seen.tokenVersion || current.accessTokenExpiresAt > this.now()) return { ok: true, session: current };
    return { ok: false, reason: 'refresh_failed' };
  }

  private async withoutRefresh(session: Session): Promise<FreshSession> {
    if (session.accessTokenExpiresAt > this.now()) return { ok: true, session };
    return this.endSession(session, 'access token expired and the session has no refresh token');
  }

  private async endSession(session: Session, reason: string): Promise<FreshSession> {
    this.logger.info({ sessionId: session.publicId, reason, code: 'session_ended_refresh' }, 'session ended after a failed token refresh');
    await this.sessions.delete(session.locator);
    return { ok: false, reason: 'refresh_failed' };
  }
}
