import { keySegment } from './encoding.ts';

// JWT blacklist of token-validation. Every entry, the index and the change stream live under the
// `{jwt-blacklist}` hash tag, so that writing an entry, indexing it and appending its change is one
// atomic script on a Redis Cluster as well.

const TAG = '{jwt-blacklist}';

export type BlacklistEntryType = 'jti' | 'user' | 'client';

/**
 * String key of one blacklist entry, `jwt:blacklist:{jwt-blacklist}:<type>:<id>`. The value is the
 * entry as JSON; the key expires when no token the entry could match can still be valid.
 */
export function blacklistEntryKey(type: BlacklistEntryType, id: string): string {
  return `jwt:blacklist:${TAG}:${type}:${keySegment(id)}`;
}

/**
 * Sorted set of the entry keys, scored by each entry's expiry in epoch ms (`+inf` for entries that
 * never expire), so an instance can load every live entry at start without scanning the keyspace.
 */
export function blacklistIndexKey(): string {
  return `jwt:blacklist:${TAG}:index`;
}

/** Stream of blacklist changes, read after a reconnect to catch up on what pub/sub missed. */
export function blacklistChangeStreamKey(): string {
  return `jwt:blacklist:${TAG}:changes`;
}

/** Pub/sub channel that carries each change right after it is appended to the change stream. */
export function blacklistChannel(): string {
  return `jwt:blacklist:${TAG}:events`;
}
