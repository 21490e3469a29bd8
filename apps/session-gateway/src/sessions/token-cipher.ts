import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from '../config/encryption-keys.ts';

export class TokenDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenDecryptionError';
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts tokens at rest with AES-256-GCM. A sealed value reads `<key id>.<iv>.<ciphertext>.<tag>`
 * (base64url parts), so it can be opened after the encrypting key is no longer first in the list.
 * The associated data binds each value to one session and one field: a ciphertext copied into
 * another session or field fails authentication.
 */
export class TokenCipher {
  private readonly current: EncryptionKey;
  private readonly byId: Map<string, Buffer>;

  constructor(keys: readonly EncryptionKey[]) {
    const first = keys[0];
    if (first === undefined) throw new TypeError('TokenCipher needs at least one key');
    this.current = first;
    this.byId = new Map(keys.map((key) => [key.id, key.key]));
  }

  seal(plaintext: string, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [this.current.id, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  open(sealed: string, associatedData: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 4) throw new TokenDecryptionError('sealed value does not have four parts');
    const [keyId, iv, ciphertext, tag] = parts as [string, string, string, string];
    const key = this.byId.get(keyId);
    if (key === undefined) throw new TokenDecryptionError(`no configured key has the id ${JSON.stringify(keyId)}`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new TokenDecryptionError('sealed value failed authentication');
    }
  }

  /** Id of the key that `seal` uses. */
  get currentKeyId(): string {
    return this.current.id;
  }
}
