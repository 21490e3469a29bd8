import { grantedPermissions, grantedScopes, principalOf, type TokenPayload, type VerifiedToken } from '@platform/token-verifier';

/** Principal details of a verified token, prepared once and cached with the verification result. */
export interface Identity {
  readonly issuer: string;
  readonly principalType: 'user' | 'm2m';
  readonly principalId: string;
  /** `sub` of a user token, checked against user entries of the blacklist. */
  readonly userId: string | undefined;
  /** Client the token was issued to, checked against client entries of the blacklist. */
  readonly clientId: string | undefined;
  readonly jti: string | undefined;
  readonly iat: number;
  readonly expiresAtMs: number;
  readonly scopes: readonly string[];
  readonly scopeSet: ReadonlySet<string>;
  /** Scopes and permissions together. */
  readonly granted: ReadonlySet<string>;
  /** Value of the X-Scopes header. */
  readonly scopeHeader: string;
  readonly rateTier: string;
}

const RATE_TIER = /^[A-Za-z0-9_-]{1,64}$/;

export function identityOf(verified: VerifiedToken, defaultRateTier: string): Identity {
  const { payload } = verified;
  const principal = principalOf(payload, verified.issuer);
  const scopes = grantedScopes(payload);
  const rateTier = payload['rate_tier'];
  return {
    issuer: verified.issuer.issuer,
    principalType: principal.type,
    principalId: principal.id,
    userId: principal.type === 'user' ? principal.id : undefined,
    clientId: principal.clientId,
    jti: payload.jti,
    iat: payload.iat!,
    expiresAtMs: payload.exp! * 1000,
    scopes,
    scopeSet: new Set(scopes),
    granted: grantedPermissions(payload),
    scopeHeader: scopes.join(' '),
    rateTier: typeof rateTier === 'string' && RATE_TIER.test(rateTier) ? rateTier : defaultRateTier,
  };
}

/**
 * Returns the blacklist keys of a token whose signature is not verified yet, to reject a revoked token before
 * the expensive check. The result is used only to reject, never to accept.
 */
export function unverifiedBlacklistKeys(payload: TokenPayload): { jti: string | undefined; userId: string | undefined; clientId: string | undefined; iat: number } {
  const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
  let clientId: string | undefined;
  if (typeof payload['client_id'] === 'string') clientId = payload['client_id'];
  else if (typeof payload['azp'] === 'string') clientId = payload['azp'];
  return {
    jti: typeof payload.jti === 'string' ? payload.jti : undefined,
    userId: sub,
    clientId,
    // A token without a numeric iat is rejected after verification anyway; 0 makes every cut-off match.
    iat: typeof payload.iat === 'number' ? payload.iat : 0,
  };
}
