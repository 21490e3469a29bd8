import type { FastifyRequest } from 'fastify';
import type { Principal } from '@platform/audit-schema';
import { HttpProblem } from '@platform/service-kit';
import { TokenRejectedError, grantedPermissions, type TokenVerifier } from '@platform/token-verifier';

export const SESSIONS_REVOKE_PERMISSION = 'sessions:revoke';

/** An administrator whose Bearer token verified and carries the required permission. */
export interface AdminCaller {
  readonly principal: Principal;
  readonly scopes: string[];
}

/** A rejected admin call, with the problem to send and the principal and reason for the audit event. */
export class AdminRefusal extends Error {
  readonly problem: HttpProblem;
  readonly principal: Principal;
  readonly reason: string;

  constructor(problem: HttpProblem, principal: Principal, reason: string) {
    super(problem.message);
    this.name = 'AdminRefusal';
    this.problem = problem;
    this.principal = principal;
    this.reason = reason;
  }
}

const ANONYMOUS: Principal = { type: 'user', id: 'anonymous' };
const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

/**
 * Authenticates an admin call from its Bearer token alone; session cookies are ignored, so a
 * browser session never authorizes these routes. The gateway verifies the JWT itself against the
 * trusted issuers rather than relying on NGINX having checked it.
 */
export async function authenticateAdmin(request: FastifyRequest, verifier: TokenVerifier, permission: string): Promise<AdminCaller> {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  if (match === null) {
    throw new AdminRefusal(unauthorized('missing_token', 'A Bearer token is required.', 'invalid_request'), ANONYMOUS, 'missing_token');
  }

  let payload;
  try {
    ({ payload } = await verifier.verify(match[1]!));
  } catch (error) {
    const reason = error instanceof TokenRejectedError ? error.reason : 'invalid_token';
    request.log.info({ reason, code: 'admin_token_rejected' }, 'admin token rejected');
    throw new AdminRefusal(unauthorized('invalid_token', 'The Bearer token is invalid or expired.', 'invalid_token'), ANONYMOUS, `invalid_token:${reason}`);
  }

  const principal = principalOf(payload);
  const granted = grantedPermissions(payload);
  if (!granted.has(permission)) {
    throw new AdminRefusal(new HttpProblem(403, 'permission_missing', `The token lacks the permission ${permission}.`, {
      headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${permission}"` },
    }), principal, 'permission_missing');
  }
  return { principal, scopes: [...granted].slice(0, 128) };
}

function unauthorized(code: string, detail: string, error: 'invalid_request' | 'invalid_token'): HttpProblem {
  const challenge = error === 'invalid_request' ? 'Bearer' : `Bearer error="${error}"`;
  return new HttpProblem(401, code, detail, { headers: { 'www-authenticate': challenge } });
}

function principalOf(payload: Record<string, unknown>): Principal {
  const subject = typeof payload['sub'] === 'string' ? payload['sub'] : undefined;
  const clientId = typeof payload['client_id'] === 'string' ? payload['client_id'] : undefined;
  // A client-credentials token names the client as its subject, or has no subject at all.
  if (clientId !== undefined && (subject === undefined || subject === clientId)) return { type: 'm2m', id: clientId.slice(0, 256) };
  return subject === undefined || subject === '' ? ANONYMOUS : { type: 'user', id: subject.slice(0, 256) };
}
