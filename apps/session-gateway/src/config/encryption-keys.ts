import type { VariableSpec } from '@platform/service-kit';

/** One AES-256 key with the id stored beside every value it encrypts. */
export interface EncryptionKey {
  readonly id: string;
  readonly key: Buffer;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * SESSION_ENCRYPTION_KEYS: `id:base64,id:base64,...`. The first key encrypts; every listed key
 * decrypts, so a new key can be put first while sessions encrypted with the old one stay readable.
 */
export function encryptionKeys(): VariableSpec<EncryptionKey[]> {
  return {
    expected: 'a comma-separated list of KEY_ID:BASE64 pairs, each key 32 bytes (for example k1:$(openssl rand -base64 32)), the first one used to encrypt',
    parse(raw: string): EncryptionKey[] | undefined {
      const keys: EncryptionKey[] = [];
      for (const item of raw.split(',').map((part) => part.trim())) {
        const separator = item.indexOf(':');
        if (separator <= 0) return undefined;
        const id = item.slice(0, separator);
        const encoded = item.slice(separator + 1);
        if (!KEY_ID.test(id) || !BASE64.test(encoded)) return undefined;
        const key = Buffer.from(encoded, 'base64');
        if (key.length !== 32) return undefined;
        if (keys.some((existing) => existing.id === id)) return undefined;
        keys.push({ id, key });
      }
      return keys.length > 0 ? keys : undefined;
    },
  };
}
