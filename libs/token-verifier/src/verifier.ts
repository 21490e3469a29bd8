import { errors, jwtVerify } from 'jose';
import { checkClaimShapes } from './claims.ts';
import { decodeToken, type DecodedToken, type TokenPayload } from './decode.ts';
import type { TrustedIssuer } from './issuers.ts';
import { JwksCache, KeyLookupError } from './jwks-cache.ts';
import { TokenRejectedError, VerificationUnavailableError } from './rejection.ts';

export { TokenRejectedError, VerificationUnavailableError };

export interface VerifiedToken {
  readonly issuer: TrustedIssuer;
  readonly payload: TokenPayload;
}

/** A decoded token whose `iss` is a configured issuer; its signature and claims are not yet checked. */
export interface UnverifiedToken extends DecodedToken {
  readonly issuer: TrustedIssuer;
}

export interface VerifierOptions {
  /** Tolerance for `exp`, `nbf` and `iat`, in seconds (default 30). */
  clockSkewSeconds?: number;
  /** Largest token accepted, in bytes, checked before any parsing (default 8192). */
  maxTokenBytes?: number;
  /**
   * Longest lifetime (`exp` - `iat`) and age a token may have, in seconds (default 86400). The
   * blacklist keeps entries only this long, so a token that lived longer could outlive its entry.
   */
  maxTokenLifetimeSeconds?: number;
  /** Minimum time between JWKS fetches caused by an unknown `kid`, per issuer, in ms (default 30000). */
  jwksCooldownMs?: number;
  /** Interval of the background JWKS refresh, in ms (default 600000). */
  jwksMaxAgeMs?: number;
  /** Timeout of one JWKS request, in ms (default 5000). */
  jwksTimeoutMs?: number;
}

interface IssuerState {
  readonly config: TrustedIssuer;
  readonly keys: JwksCache;
}

/**
 * Verifies JWTs from a fixed set of trusted issuers.
 *
 * Order of checks: size, shape and header (see decodeToken), then the unverified `iss` must equal
 * a configured issuer exactly before any key is looked up, so the token never chooses where keys
 * come from. Keys come only from the issuer's configured JWKS, matched by `kid` and key type; only
 * the issuer's algorithms are accepted, so `none` and HMAC never verify. `exp` and `iat` are
 * required, `nbf` is honoured, each with the clock skew.
 */
export class TokenVerifier {
  readonly clockSkewSeconds: number;
  readonly maxTokenBytes: number;
  readonly maxTokenLifetimeSeconds: number;
  private readonly issuers: Map<string, IssuerState>;

  constructor(issuers: readonly TrustedIssuer[], options: VerifierOptions = {}) {
    this.clockSkewSeconds = options.clockSkewSeconds ?? 30;
    this.maxTokenBytes = options.maxTokenBytes ?? 8 * 1024;
    this.maxTokenLifetimeSeconds = options.maxTokenLifetimeSeconds ?? 86_400;
    const cacheOptions = { cooldownMs: options.jwksCooldownMs ?? 30_000, maxAgeMs: options.jwksMaxAgeMs ?? 600_000, timeoutMs: options.jwksTimeoutMs ?? 5_000 };
    this.issuers = new Map(issuers.map((config) => [config.issuer, { config, keys: new JwksCache(config.jwksUri, cacheOptions) }]));
  }

  /** Loads every issuer's keys now and keeps them fresh in the background. */
  start(): void {
    for (const state of this.issuers.values()) state.keys.start();
  }

  stop(): void {
    for (const state of this.issuers.values()) state.keys.stop();
  }

  /** The key cache of one configured issuer, for readiness details and tests. */
  keysOf(issuer: string): JwksCache | undefined {
    return this.issuers.get(issuer)?.keys;
  }

  /** Returns the configured issuer named by an unverified token, or undefined. */
  issuerOf(token: string): TrustedIssuer | undefined {
    try {
      return this.decode(token).issuer;
    } catch {
      return undefined;
    }
  }

  /**
   * Decodes a token and checks its header and issuer without any key: the claims returned are
   * unverified and may only be used to reject the token early (for example by the blacklist).
   */
  decode(token: string): UnverifiedToken {
    const decoded = decodeToken(token, this.maxTokenBytes);
    const iss = decoded.payload.iss;
    if (typeof iss !== 'string') throw new TokenRejectedError('untrusted_issuer', 'token has no string iss claim');
    const trusted = this.issuers.get(iss);
    if (trusted === undefined) throw new TokenRejectedError('untrusted_issuer', 'token issuer is not trusted');
    if (!(trusted.config.algorithms as readonly string[]).includes(decoded.header.alg as string)) {
      throw new TokenRejectedError('algorithm_not_allowed', 'token algorithm is not allowed for this issuer');
    }
    return { ...decoded, issuer: trusted.config };
  }

  /**
   * Verifies a token's signature and claims. Throws TokenRejectedError for a token that must be
   * refused and VerificationUnavailableError when the issuer's keys were never loaded.
   */
  async verify(token: string, decoded: UnverifiedToken = this.decode(token)): Promise<VerifiedToken> {
    const trusted = this.issuers.get(decoded.issuer.issuer)!;
    let payload: TokenPayload;
    try {
      const result = await jwtVerify(token, (header) => trusted.keys.getKey(header.kid!, header.alg!), {
        issuer: trusted.config.issuer,
        audience: trusted.config.audience,
        algorithms: trusted.config.algorithms,
        clockTolerance: this.clockSkewSeconds,
        maxTokenAge: this.maxTokenLifetimeSeconds,
        requiredClaims: ['exp', 'iat'],
      });
      payload = result.payload as TokenPayload;
    } catch (error) {
      if (error instanceof KeyLookupError && error.reason === 'jwks_unavailable') throw new VerificationUnavailableError(error.message);
      throw toRejection(error);
    }
    checkClaimShapes(payload);
    if (payload.exp! - payload.iat! > this.maxTokenLifetimeSeconds) {
      throw new TokenRejectedError('lifetime_too_long', `token lifetime is longer than ${this.maxTokenLifetimeSeconds} seconds`);
    }
    return { issuer: trusted.config, payload };
  }
}

function toRejection(error: unknown): TokenRejectedError {
  if (error instanceof TokenRejectedError) return error;
  if (error instanceof KeyLookupError) return new TokenRejectedError(error.reason, error.message);
  if (error instanceof errors.JWTExpired) return new TokenRejectedError('expired', 'token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) return new TokenRejectedError(`invalid_${error.claim}`, `token ${error.claim} claim is invalid or missing`);
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenRejectedError('invalid_signature', 'token signature is invalid');
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenRejectedError('algorithm_not_allowed', 'token algorithm is not allowed');
  if (error instanceof errors.JOSENotSupported) return new TokenRejectedError('unsupported', 'token uses an unsupported header or algorithm');
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid || error instanceof errors.JWKInvalid) return new TokenRejectedError('malformed', 'token is malformed');
  return new TokenRejectedError('invalid_token', 'token could not be verified');
}
