import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TokenCipher, TokenDecryptionError } from '../../src/sessions/token-cipher.ts';

const k0 = { id: 'k0', key: randomBytes(32) };
const k1 = { id: 'k1', key: randomBytes(32) };

describe('TokenCipher', () => {
  it('opens what it sealed', () => {
    const cipher = new TokenCipher([k1]);
    const sealed = cipher.seal('secret-token', 'session-a/accessToken');
    expect(cipher.open(sealed, 'session-a/accessToken')).toBe('secret-token');
  });

  it('never stores the plaintext', () => {
    const sealed = new TokenCipher([k1]).seal('secret-token', 'aad');
    expect(sealed).not.toContain('secret-token');
    expect(sealed.startsWith('k1.')).toBe(true);
  });

  it('uses a fresh iv for every value', () => {
    const cipher = new TokenCipher([k1]);
    expect(cipher.seal('same', 'aad')).not.toBe(cipher.seal('same', 'aad'));
  });

  it('opens values of an older key after rotation', () => {
    const sealedWithOld = new TokenCipher([k0]).seal('old-token', 'aad');
    const rotated = new TokenCipher([k1, k0]);
    expect(rotated.currentKeyId).toBe('k1');
    expect(rotated.open(sealedWithOld, 'aad')).toBe('old-token');
  });

  it('rejects a value whose key was removed', () => {
    const sealedWithOld = new TokenCipher([k0]).seal('old-token', 'aad');
    expect(() => new TokenCipher([k1]).open(sealedWithOld, 'aad')).toThrow(TokenDecryptionError);
  });

  it('rejects a value moved to another session or field', () => {
    const cipher = new TokenCipher([k1]);
    const sealed = cipher.seal('token', 'session-a/accessToken');
    expect(() => cipher.open(sealed, 'session-b/accessToken')).toThrow(TokenDecryptionError);
    expect(() => cipher.open(sealed, 'session-a/refreshToken')).toThrow(TokenDecryptionError);
  });

  it('rejects a tampered ciphertext', () => {
    const cipher = new TokenCipher([k1]);
    const parts = cipher.seal('token', 'aad').split('.');
    const bytes = Buffer.from(parts[2]!, 'base64url');
    bytes[0] = bytes[0]! ^ 0x01;
    parts[2] = bytes.toString('base64url');
    expect(() => cipher.open(parts.join('.'), 'aad')).toThrow(TokenDecryptionError);
  });

  it('rejects a malformed value', () => {
    expect(() => new TokenCipher([k1]).open('not-sealed', 'aad')).toThrow(TokenDecryptionError);
  });
});
