import type { JWTPayload } from 'jose';
import type { TrustedIssuer } from './issuers.ts';
import { TokenRejectedError } from './rejection.ts';

/** Returns the permissions a token grants, from its `permissions` array and its `scope` string. */
export function grantedPermissions(payload: JWTPayload & Record<string, unknown>): Set<string> {
  const granted = new Set<string>();
  const permissions = payload['permissions'];
  if (Array.isArray(permissions)) {
    for (const permission of permissions) if (typeof permission === 'string') granted.add(permission);
  }
  for (const scope of grantedScopes(payload)) granted.add(scope);
  return granted;
}

/** Returns the scopes of a token's `scope` (space-separated string) or `scp` (array) claim. */
export function grantedScopes(payload: JWTPayload & Record<string, unknown>): string[] {
  const scope = payload['scope'] ?? payload['scp'];
  if (typeof scope === 'string') return scope.split(' ').filter((item) => item !== '');
  if (Array.isArray(scope)) return scope.filter((item): item is string => typeof item === 'string' && item !== '');
  return [];
}

export interface Principal {
  readonly type: 'user' | 'm2m';
  /** `sub` of a user token; the client id of an M2M token. */
  readonly id: string;
  /** Client the token was issued to (`client_id`, else `azp`), when the token names one. */
  readonly clientId: string | undefined;
}

/**
 * Returns who a verified token speaks for. A token is M2M when its issuer is configured as an M2M
 * issuer, or when it carries `client_id` and no `sub` other than that client id (client-credentials
 * tokens set `sub` to the client id).
 */
export function principalOf(payload: JWTPayload & Record<string, unknown>, issuer: TrustedIssuer): Principal {
  const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
  const clientId = typeof payload['client_id'] === 'string' ? payload['client_id'] : typeof payload['azp'] === 'string' ? payload['azp'] : undefined;
  const m2m = issuer.principalType === 'm2m' || (typeof payload['client_id'] === 'string' && (sub === undefined || sub === payload['client_id']));
  if (m2m) {
    const id = clientId ?? sub;
    if (id === undefined) throw new TokenRejectedError('missing_subject', 'M2M token names no client');
    return { type: 'm2m', id, clientId: id };
  }
  if (sub === undefined) throw new TokenRejectedError('missing_subject', 'token has no sub claim');
  return { type: 'user', id: sub, clientId };
}

// Identifiers travel on to HTTP headers, Redis keys and audit rows, so they are limited to printable
// characters without whitespace: a control character could split a header or a log line.
const IDENTIFIER = /^[\x21-\x7e\u00a0-\uffff]{1,256}$/u;
const SCOPE_LIST = /^[\x20-\x7e]{0,4096}$/;
const IDENTIFIER_CLAIMS = ['sub', 'client_id', 'azp', 'jti'] as const;

/**
 * Rejects claims that are present with a type or content the platform cannot pass on safely, and
 * a missing `iat`, which the blacklist needs to compare the token with a revocation time.
 */
export function checkClaimShapes(payload: JWTPayload & Record<string, unknown>): void {
  for (const claim of IDENTIFIER_CLAIMS) {
    const value = payload[claim];
    if (value !== undefined && (typeof value !== 'string' || !IDENTIFIER.test(value))) {
      throw new TokenRejectedError('invalid_claims', `token ${claim} claim is not a printable string of 1 to 256 characters`);
    }
  }
  if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) throw new TokenRejectedError('invalid_claims', 'token has no numeric iat claim');
  const scope = payload['scope'];
  if (scope !== undefined && (typeof scope !== 'string' || !SCOPE_LIST.test(scope))) {
    throw new TokenRejectedError('invalid_claims', 'token scope claim is not a string of printable characters');
  }
  const permissions = payload['permissions'];
  if (permissions !== undefined && (!Array.isArray(permissions) || !permissions.every((item) => typeof item === 'string' && IDENTIFIER.test(item)))) {
    throw new TokenRejectedError('invalid_claims', 'token permissions claim is not an array of printable strings');
  }
}
