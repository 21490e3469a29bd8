import type { FastifyRequest } from 'fastify';
import { HttpProblem } from '@platform/service-kit';
import { TokenRejectedError, grantedPermissions, type TokenVerifier } from '@platform/token-verifier';
import { principalFromToken, principalReference, type Caller, type CallerStanding } from './caller.ts';

export interface AuthenticatorOptions {
  verifier: TokenVerifier;
  /** Standing of a user caller, looked up by identity provider subject. */
  userStanding: (subject: string) => Promise<CallerStanding>;
  /** Standing of an M2M caller; undefined means the client is not in the registry and only its token counts. */
  clientStanding: (clientId: string) => Promise<CallerStanding | undefined>;
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

function unauthorized(code: string, detail: string, tokenError?: string): HttpProblem {
  const challenge = tokenError === undefined
    ? 'Bearer realm="permission-service"'
    : `Bearer realm="permission-service", error="${tokenError}", error_description="${detail.replace(/["\\]/g, '')}"`;
  return new HttpProblem(401, code, detail, { headers: { 'www-authenticate': challenge } });
}

/**
 * Turns a request's bearer token into a Caller. It verifies the token against the trusted issuers,
 * then reads from the database whether the principal may act and which role permissions it has.
 */
export class Authenticator {
  private readonly options: AuthenticatorOptions;

  constructor(options: AuthenticatorOptions) {
    this.options = options;
  }

  async authenticate(request: FastifyRequest): Promise<Caller> {
    const header = request.headers.authorization;
    if (header === undefined || header === '') throw unauthorized('missing_token', 'This call requires a bearer access token in the Authorization header.');
    const match = BEARER.exec(header);
    if (match === null) throw unauthorized('invalid_token', 'The Authorization header is not a bearer token.', 'invalid_request');

    let token;
    try {
      token = await this.options.verifier.verify(match[1]!);
    } catch (error) {
      if (error instanceof TokenRejectedError) {
        request.log.info({ code: 'token_rejected', reason: error.reason }, 'bearer token rejected');
        throw unauthorized('invalid_token', `The access token was rejected: ${error.message}.`, 'invalid_token');
      }
      throw error;
    }

    const principal = principalFromToken(token);
    if (principal === undefined) throw unauthorized('invalid_token', 'The access token names no subject or client.', 'invalid_token');

    const standing = principal.type === 'user'
      ? await this.options.userStanding(principal.id)
      : await this.options.clientStanding(principal.id);
    if (standing?.blocked) {
      request.log.info({ code: standing.blocked.code, principal }, 'caller rejected because its account is blocked');
      throw new HttpProblem(403, standing.blocked.code, standing.blocked.detail);
    }

    const tokenPermissions = grantedPermissions(token.payload);
    const rolePermissions = standing?.permissions ?? new Set<string>();
    return {
      principal,
      reference: principalReference(principal),
      userId: standing?.userId,
      tokenPermissions,
      rolePermissions,
      permissions: new Set([...tokenPermissions, ...rolePermissions]),
      token,
    };
  }
}
