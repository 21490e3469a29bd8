/** Result of reading the Authorization header: a token, no credentials at all, or an unusable header. */
export type BearerCredentials = { kind: 'token'; token: string } | { kind: 'missing' } | { kind: 'malformed' } | { kind: 'too_large' };

// RFC 6750 section 2.1: "Bearer" (case-insensitive), one or more spaces, then a token68.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Reads a bearer token from an Authorization header. A header longer than `maxTokenBytes` plus the
 * scheme is reported as too large before any pattern is applied to it.
 */
export function bearerCredentials(header: string | undefined, maxTokenBytes: number): BearerCredentials {
  if (header === undefined || header === '') return { kind: 'missing' };
  if (header.length > maxTokenBytes + 16) return { kind: 'too_large' };
  const match = BEARER.exec(header);
  if (match === null) return { kind: 'malformed' };
  return { kind: 'token', token: match[1]! };
}
