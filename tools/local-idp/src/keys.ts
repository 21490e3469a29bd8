import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

// Signing keys and cookie keys of the local identity provider. They are generated at first start
// and, when a state file is given, kept there so that tokens and provider sessions survive a
// restart. The file is written with mode 0600 and must never be committed.

export interface ProviderKeys {
  /** Private signing keys as JWKs; the provider publishes their public parts at its JWKS URI. */
  readonly signingKeys: JWK[];
  /** Keys that sign the provider's cookies. */
  readonly cookieKeys: string[];
}

function isProviderKeys(value: unknown): value is ProviderKeys {
  const keys = value as ProviderKeys;
  return typeof value === 'object' && value !== null && Array.isArray(keys.signingKeys) && keys.signingKeys.length > 0 && Array.isArray(keys.cookieKeys) && keys.cookieKeys.length > 0;
}

export async function generateProviderKeys(): Promise<ProviderKeys> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return {
    signingKeys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }],
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
}

/** Reads the keys from the state file, or generates them and writes the file when it is missing. */
export async function loadOrCreateProviderKeys(stateFile?: string): Promise<ProviderKeys> {
  if (stateFile === undefined) return generateProviderKeys();
  if (existsSync(stateFile)) {
    const stored: unknown = JSON.parse(readFileSync(stateFile, 'utf8'));
    if (!isProviderKeys(stored)) throw new Error(`invalid key file ${stateFile}: expected signingKeys and cookieKeys; delete it to generate new keys`);
    return stored;
  }
  const keys = await generateProviderKeys();
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return keys;
}
