import { TokenRejectedError, VerificationUnavailableError, VerifiedTokenCache, type TokenVerifier } from '@platform/token-verifier';
import type { BlacklistReader } from '../blacklist/replica.ts';
import { bearerCredentials } from './bearer.ts';
import { identityOf, unverifiedBlacklistKeys, type Identity } from './identity.ts';
import { CHALLENGE_WITHOUT_ERROR, invalidRequestChallenge, invalidTokenChallenge } from './www-authenticate.ts';

export interface AuthenticationDependencies {
  verifier: TokenVerifier;
  cache: VerifiedTokenCache<Identity>;
  blacklist: BlacklistReader;
  defaultRateTier: string;
}

export type Authentication =
  | { status: 200; identity: Identity }
  | { status: 401; reason: string; challenge: string; identity?: Identity }
  | { status: 503; reason: string; identity?: Identity };

/**
 * Authenticates the bearer token of an Authorization header: verified (or found in the verification
 * cache) and not revoked. The blacklist is consulted on every call, cached verification or not, and
 * only while it is known to be current; otherwise the result is 503, never an unchecked success.
 */
export async function authenticate(deps: AuthenticationDependencies, authorization: string | undefined): Promise<Authentication> {
  const credentials = bearerCredentials(authorization, deps.verifier.maxTokenBytes);
  if (credentials.kind === 'missing') return { status: 401, reason: 'token_missing', challenge: CHALLENGE_WITHOUT_ERROR };
  if (credentials.kind === 'malformed') return { status: 401, reason: 'authorization_malformed', challenge: invalidRequestChallenge() };
  if (credentials.kind === 'too_large') return { status: 401, reason: 'token_too_large', challenge: invalidTokenChallenge('token_too_large') };

  const nowMs = Date.now();
  const cacheKey = VerifiedTokenCache.keyOf(credentials.token);
  // NOTE: a cached result outlives the removal of its signing key from the issuer's JWKS; the token
  // keeps passing until its own expiry unless it is revoked.
  let identity = deps.cache.get(cacheKey, nowMs);
  if (identity === undefined) {
    const verified = await verifyToken(deps, credentials.token, nowMs);
    if (verified.status !== 200) return verified;
    identity = verified.identity;
    deps.cache.set(cacheKey, identity, identity.expiresAtMs);
  }

  if (!deps.blacklist.isFresh() && !(await deps.blacklist.confirmFresh())) return { status: 503, reason: 'blacklist_unavailable', identity };
  const revoked = deps.blacklist.check(identity.jti, identity.userId, identity.clientId, identity.iat, Date.now());
  if (revoked !== undefined) return { status: 401, reason: revoked, challenge: invalidTokenChallenge(revoked), identity };
  return { status: 200, identity };
}

async function verifyToken(deps: AuthenticationDependencies, token: string, nowMs: number): Promise<Authentication> {
  try {
    const decoded = deps.verifier.decode(token);
    // Rejecting a revoked token here costs no signature check; a forged token naming a revoked
    // principal is rejected either way.
    const keys = unverifiedBlacklistKeys(decoded.payload);
    const revoked = deps.blacklist.check(keys.jti, keys.userId, keys.clientId, keys.iat, nowMs);
    if (revoked !== undefined) return { status: 401, reason: revoked, challenge: invalidTokenChallenge(revoked) };
    const verified = await deps.verifier.verify(token, decoded);
    return { status: 200, identity: identityOf(verified, deps.defaultRateTier) };
  } catch (error) {
    if (error instanceof TokenRejectedError) return { status: 401, reason: error.reason, challenge: invalidTokenChallenge(error.reason) };
    if (error instanceof VerificationUnavailableError) return { status: 503, reason: error.reason };
    throw error;
  }
}
