import type { JWTPayload, ProtectedHeaderParameters } from 'jose';
import { TokenRejectedError } from './rejection.ts';

export type TokenPayload = JWTPayload & Record<string, unknown>;

/** A token whose shape and header passed the checks, with its claims not yet verified. */
export interface DecodedToken {
  readonly header: ProtectedHeaderParameters & Record<string, unknown> & { alg: string; kid: string };
  readonly payload: TokenPayload;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

// Header parameters that point at keys (RFC 7515 section 4.1). The keys of a token come only from
// its issuer's configured JWKS, so a token that carries any of these is rejected outright.
const KEY_REFERENCE_HEADERS = ['jku', 'x5u', 'x5c', 'jwk'] as const;

// `typ` values of access tokens (RFC 9068 uses `at+jwt`); compared case-insensitively with an
// optional `application/` prefix, as RFC 7515 section 4.1.9 allows.
const ACCEPTED_TYPES = new Set(['jwt', 'at+jwt']);

/**
 * Decodes a compact JWS without verifying it. Rejects, before any key is looked up: tokens over
 * `maxBytes`, anything but three base64url segments, a header or payload that is not a JSON object,
 * and a header that names keys, carries `crit`, or lacks a usable `kid`.
 */
export function decodeToken(token: string, maxBytes: number): DecodedToken {
  // JWT characters are ASCII, so the string length equals the byte length of a well-formed token;
  // any other character fails the shape check that follows.
  if (token.length > maxBytes) throw new TokenRejectedError('token_too_large', `token is larger than ${maxBytes} bytes`);
  if (!JWT_SHAPE.test(token)) throw new TokenRejectedError('malformed', 'token is not a compact JWS with three base64url segments');

  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  const header = parseSegment(token.slice(0, firstDot), 'header');
  const payload = parseSegment(token.slice(firstDot + 1, secondDot), 'payload');
  checkHeader(header);
  return { header: header as DecodedToken['header'], payload: payload as TokenPayload };
}

function parseSegment(segment: string, name: 'header' | 'payload'): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new TokenRejectedError('malformed', `token ${name} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenRejectedError('malformed', `token ${name} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function checkHeader(header: Record<string, unknown>): void {
  if (typeof header['alg'] !== 'string') throw new TokenRejectedError('malformed', 'token header has no alg');
  for (const name of KEY_REFERENCE_HEADERS) {
    if (header[name] !== undefined) throw new TokenRejectedError('key_reference_rejected', `token header parameter ${name} is not accepted`);
  }
  // No critical extension is understood here, so any `crit` must be rejected (RFC 7515 section 4.1.11).
  if (header['crit'] !== undefined) throw new TokenRejectedError('unsupported_critical_header', 'token header lists critical parameters that are not understood');
  if (header['b64'] !== undefined || header['zip'] !== undefined || header['enc'] !== undefined) {
    throw new TokenRejectedError('unsupported_header', 'token header uses parameters this service does not accept');
  }
  const typ = header['typ'];
  if (typ !== undefined && (typeof typ !== 'string' || !ACCEPTED_TYPES.has(typ.toLowerCase().replace(/^application\//, '')))) {
    throw new TokenRejectedError('unexpected_type', 'token typ header is not JWT or at+jwt');
  }
  const kid = header['kid'];
  if (kid === undefined) throw new TokenRejectedError('missing_kid', 'token header has no kid');
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256) throw new TokenRejectedError('malformed', 'token kid is not a string of 1 to 256 characters');
}
