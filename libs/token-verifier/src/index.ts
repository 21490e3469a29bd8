export { ASYMMETRIC_ALGORITHMS, type AsymmetricAlgorithm, TRUSTED_ISSUERS_EXPECTED, TrustedIssuer, TrustedIssuers, isTrustedIssuerList } from './issuers.ts';
export { TokenVerifier, type UnverifiedToken, type VerifiedToken, type VerifierOptions } from './verifier.ts';
export { TokenRejectedError, VerificationUnavailableError } from './rejection.ts';
export { decodeToken, type DecodedToken, type TokenPayload } from './decode.ts';
export { JwksCache, KeyLookupError, type JwksCacheOptions } from './jwks-cache.ts';
export { VerifiedTokenCache } from './verified-token-cache.ts';
export { checkClaimShapes, grantedPermissions, grantedScopes, principalOf, type Principal } from './claims.ts';
export { keyFitsAlgorithm } from './algorithms.ts';
