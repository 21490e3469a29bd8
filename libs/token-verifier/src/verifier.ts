import { createRemoteJWKSet, errors, jwtVerify, decodeProtectedHeader, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { TrustedIssuer } from './issuers.ts';

export interface VerifiedToken {
  readonly issuer: TrustedIssuer;
  readonly payload: JWTPayload & Record<string, unknown>;
}

export class TokenRejectedError extends Error {
  /** Stable reason code, used in logs, audit events and WWW-Authenticate descriptions. */
  readonly reason: string;

  constructor(reason: string, message: string) {
    super(message);
    this.name = 'TokenRejectedError';
    this.reason = reason;
  }
}

export interface VerifierOptions {
  clockSkewSeconds?: number;
  maxTokenBytes?: number;
  /** Minimum time between JWKS refetches triggered by an unknown `kid`, per issuer. */
  jwksCooldownMs?: number;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Verifies JWTs from a fixed set of trusted issuers.
 *
 * Order of checks: size, shape, then the unverified `iss` must equal a configured issuer exactly
 * before any key is looked up, so the token never chooses where keys come from. `jku`, `x5u` and
 * `x5c` headers are ignored by jose and never followed; `crit` parameters are rejected by jose
 * unless listed; only the issuer's algorithms are accepted, so `none` and HMAC never verify.
 */
export class TokenVerifier {
  private readonly issuers: Map<string, { config: TrustedIssuer; keys: JWTVerifyGetKey }>;
  private readonly clockSkewSeconds: number;
  private readonly maxTokenBytes: number;

  constructor(issuers: readonly TrustedIssuer[], options: VerifierOptions = {}) {
    this.clockSkewSeconds = options.clockSkewSeconds ?? 30;
    this.maxTokenBytes = options.maxTokenBytes ?? 8 * 1024;
    this.issuers = new Map(issuers.map((config) => [config.issuer, {
      config,
      keys: createRemoteJWKSet(new URL(config.jwksUri), { cooldownDuration: options.jwksCooldownMs ?? 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 }),
    }]));
  }

  /** Returns the configured issuer named by an unverified token, or undefined. */
  issuerOf(token: string): TrustedIssuer | undefined {
    const iss = unverifiedClaim(token, 'iss');
    return typeof iss === 'string' ? this.issuers.get(iss)?.config : undefined;
  }

  async verify(token: string): Promise<VerifiedToken> {
    if (Buffer.byteLength(token, 'utf8') > this.maxTokenBytes) throw new TokenRejectedError('token_too_large', `token is larger than ${this.maxTokenBytes} bytes`);
    if (!JWT_SHAPE.test(token)) throw new TokenRejectedError('malformed', 'token is not a compact JWS with three base64url segments');

    const iss = unverifiedClaim(token, 'iss');
    if (typeof iss !== 'string') throw new TokenRejectedError('malformed', 'token has no string iss claim');
    const trusted = this.issuers.get(iss);
    if (trusted === undefined) throw new TokenRejectedError('untrusted_issuer', 'token issuer is not trusted');

    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new TokenRejectedError('malformed', 'token header is not valid JSON');
    }
    if (typeof header.alg !== 'string' || !(trusted.config.algorithms as readonly string[]).includes(header.alg)) {
      throw new TokenRejectedError('algorithm_not_allowed', 'token algorithm is not allowed for this issuer');
    }

    try {
      const { payload } = await jwtVerify(token, trusted.keys, {
        issuer: trusted.config.issuer,
        audience: trusted.config.audience,
        algorithms: trusted.config.algorithms,
        clockTolerance: this.clockSkewSeconds,
        requiredClaims: ['exp'],
      });
      return { issuer: trusted.config, payload: payload as JWTPayload & Record<string, unknown> };
    } catch (error) {
      throw toRejection(error);
    }
  }
}

function unverifiedClaim(token: string, claim: string): unknown {
  const segment = token.split('.')[1];
  if (segment === undefined) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>)[claim] : undefined;
  } catch {
    return undefined;
  }
}

function toRejection(error: unknown): TokenRejectedError {
  if (error instanceof errors.JWTExpired) return new TokenRejectedError('expired', 'token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) return new TokenRejectedError(`invalid_${error.claim}`, `token ${error.claim} claim is invalid`);
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenRejectedError('invalid_signature', 'token signature is invalid');
  if (error instanceof errors.JWKSNoMatchingKey) return new TokenRejectedError('unknown_key', 'no key in the issuer JWKS matches the token');
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return new TokenRejectedError('jwks_unavailable', 'issuer keys could not be fetched');
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenRejectedError('algorithm_not_allowed', 'token algorithm is not allowed');
  if (error instanceof errors.JOSENotSupported) return new TokenRejectedError('unsupported', 'token uses an unsupported header or algorithm');
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return new TokenRejectedError('malformed', 'token is malformed');
  return new TokenRejectedError('invalid_token', 'token could not be verified');
}
