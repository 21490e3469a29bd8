import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';

// A trusted issuer as configured: tokens are accepted only from these issuers, with keys fetched
// only from the configured JWKS address and only with the listed algorithms.

export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

export const TrustedIssuer = Type.Object({
  issuer: Type.String({ minLength: 1 }),
  jwksUri: Type.String({ pattern: '^https?://' }),
  audience: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })]),
  algorithms: Type.Array(Type.Unsafe<AsymmetricAlgorithm>(Type.Union(ASYMMETRIC_ALGORITHMS.map((alg) => Type.Literal(alg)))), { minItems: 1 }),
  /** Principal type of tokens from this issuer when a token does not say; `m2m` for the client-credentials issuer. */
  principalType: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('m2m')])),
}, { additionalProperties: false });
export type TrustedIssuer = Static<typeof TrustedIssuer>;

export const TrustedIssuers = Type.Array(TrustedIssuer, { minItems: 1 });
const trustedIssuersValidator = Compile(TrustedIssuers);

export const TRUSTED_ISSUERS_EXPECTED =
  'a JSON array of {"issuer","jwksUri","audience","algorithms"} objects, for example [{"issuer":"https://tenant.auth0.com/","jwksUri":"https://tenant.auth0.com/.well-known/jwks.json","audience":"https://api.example.com","algorithms":["RS256"]}]';

export function isTrustedIssuerList(value: unknown): value is TrustedIssuer[] {
  return trustedIssuersValidator.Check(value);
}
