import { createHash } from 'node:crypto';

/**
 * Derives the hash-tag value for a principal id. Ids come from identity providers and may contain
 * any character (`auth0|abc`, `urn:...`, `{`, `*`); hashing them gives a fixed-length tag that
 * cannot close a hash tag, match a glob or collide with another key's separator.
 */
export function principalTag(principalId: string): string {
  return createHash('sha256').update(principalId, 'utf8').digest('base64url').slice(0, 22);
}

/** Encodes an id as a key segment that contains no `:`, `{`, `}` or glob characters. */
export function keySegment(id: string): string {
  return /^[A-Za-z0-9._-]{1,128}$/.test(id) ? id : `~${Buffer.from(id, 'utf8').toString('base64url')}`;
}
