/** A token that must not be accepted, with a stable reason code. */
export class TokenRejectedError extends Error {
  /** Stable reason code, used in logs, audit events and WWW-Authenticate descriptions. */
  readonly reason: string;

  constructor(reason: string, message: string) {
    super(message);
    this.name = 'TokenRejectedError';
    this.reason = reason;
  }
}

/**
 * The token may be valid but cannot be checked now (its issuer's keys were never loaded). Callers
 * answer "try again later" rather than "invalid token".
 */
export class VerificationUnavailableError extends Error {
  readonly reason = 'jwks_unavailable';

  constructor(message: string) {
    super(message);
    this.name = 'VerificationUnavailableError';
  }
}
