import type { VerifiedToken } from '@platform/token-verifier';

/** The authenticated principal behind a request: a user (by identity provider subject) or an M2M client. */
export type CallerPrincipal = { readonly type: 'user'; readonly id: string } | { readonly type: 'm2m'; readonly id: string };

export interface Caller {
  readonly principal: CallerPrincipal;
  /** Principal reference stored in `*_by` columns: `user:<subject>` or `m2m:<client id>`. */
  readonly reference: string;
  /** Id of the caller's live user row, when the caller is a known user. */
  readonly userId: string | undefined;
  /** Permissions carried by the token (`permissions` claim and `scope`). */
  readonly tokenPermissions: ReadonlySet<string>;
  /** Permissions from the caller's roles in the database. */
  readonly rolePermissions: ReadonlySet<string>;
  /** Union of both: what the caller may do. */
  readonly permissions: ReadonlySet<string>;
  readonly token: VerifiedToken;
}

/** Database state of a caller: whether it may act at all, and its role permissions. */
export interface CallerStanding {
  /** Reason to reject the caller whatever its token carries, for example `caller_suspended`. */
  readonly blocked?: { code: string; detail: string };
  readonly userId?: string;
  readonly permissions: ReadonlySet<string>;
}

export function principalReference(principal: CallerPrincipal): string {
  return `${principal.type}:${principal.id}`;
}

/**
 * Derives the principal from verified claims. A token is an M2M token when it has a `client_id`
 * and no user `sub` other than that client id, or when its issuer is configured as an M2M issuer.
 * Returns undefined when the token names no principal.
 */
export function principalFromToken(token: VerifiedToken): CallerPrincipal | undefined {
  const claims = token.payload;
  const clientId = typeof claims['client_id'] === 'string' && claims['client_id'] !== '' ? claims['client_id'] : undefined;
  const subject = typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined;
  if (clientId !== undefined && (subject === undefined || subject === clientId)) return { type: 'm2m', id: clientId };
  if (token.issuer.principalType === 'm2m') {
    const id = clientId ?? subject;
    return id === undefined ? undefined : { type: 'm2m', id };
  }
  return subject === undefined ? undefined : { type: 'user', id: subject };
}
