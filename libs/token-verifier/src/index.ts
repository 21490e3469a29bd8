export { ASYMMETRIC_ALGORITHMS, TRUSTED_ISSUERS_EXPECTED, TrustedIssuer, TrustedIssuers, isTrustedIssuerList } from './issuers.ts';
export { TokenRejectedError, TokenVerifier, type VerifiedToken, type VerifierOptions } from './verifier.ts';
export { grantedPermissions } from './claims.ts';
