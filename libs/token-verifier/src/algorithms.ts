import type { JWK } from 'jose';

// Key type each accepted signature algorithm needs. A key from a JWKS is used for an algorithm only
// when its `kty` (and curve) match, so an RSA public key can never be fed to an HMAC or ECDSA check.

interface KeyShape {
  kty: 'RSA' | 'EC' | 'OKP';
  crv?: string;
}

const KEY_SHAPES: Record<string, KeyShape> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  ES512: { kty: 'EC', crv: 'P-521' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  Ed25519: { kty: 'OKP', crv: 'Ed25519' },
};

/** Tells whether a public JWK can verify signatures of the given algorithm. */
export function keyFitsAlgorithm(jwk: JWK, alg: string): boolean {
  const shape = KEY_SHAPES[alg];
  if (shape === undefined) return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (jwk.kty !== shape.kty) return false;
  return shape.crv === undefined || jwk.crv === shape.crv;
}
