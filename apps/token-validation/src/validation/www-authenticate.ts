// WWW-Authenticate values for 401 and 403 responses (RFC 6750 section 3). Descriptions are fixed
// strings per reason, so nothing from the request is ever echoed into a header.

const REALM = 'api';

/** No credentials at all: per RFC 6750 section 3.1 the server SHOULD NOT send an error code. */
export const CHALLENGE_WITHOUT_ERROR = `Bearer realm="${REALM}"`;

const INVALID_REQUEST = `Bearer realm="${REALM}", error="invalid_request", error_description="The Authorization header is not a single bearer token"`;

const DESCRIPTIONS: Record<string, string> = {
  expired: 'The access token expired',
  token_revoked: 'The access token was revoked',
  user_revoked: 'The access tokens of this user were revoked',
  client_revoked: 'The access tokens of this client were revoked',
  untrusted_issuer: 'The access token issuer is not trusted',
  invalid_aud: 'The access token is not meant for this API',
  token_too_large: 'The access token is too large',
};

const invalidTokenChallenges = new Map<string, string>();

/** Challenge for a token that was presented and rejected. */
export function invalidTokenChallenge(reason: string): string {
  let challenge = invalidTokenChallenges.get(reason);
  if (challenge === undefined) {
    const description = DESCRIPTIONS[reason] ?? 'The access token is invalid';
    challenge = `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`;
    if (invalidTokenChallenges.size < 100) invalidTokenChallenges.set(reason, challenge);
  }
  return challenge;
}

/** Challenge for a header that is not a single bearer token. */
export function invalidRequestChallenge(): string {
  return INVALID_REQUEST;
}

/** Challenge for a valid token that lacks what the route requires. */
export function insufficientScopeChallenge(required: readonly string[]): string {
  const scope = required.length > 0 ? `, scope="${required.join(' ')}"` : '';
  return `Bearer realm="${REALM}", error="insufficient_scope", error_description="The access token does not grant this request"${scope}`;
}
