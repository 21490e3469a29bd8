import { keySegment } from './encoding.ts';

// JWT blacklist entries. Every entry and the change log live under the `{jwt-blacklist}` hash tag so
// that writing an entry and appending its change is one atomic operation on a cluster as well.

const TAG = '{jwt-blacklist}';

export type BlacklistEntryType = 'jti' | 'user' | 'client';

/** String key of one blacklist entry: `jwt:blacklist:{jwt-blacklist}:<type>:<id>`. */
export function blacklistEntryKey(type: BlacklistEntryType, id: string): string {
  return `jwt:blacklist:${TAG}:${type}:${keySegment(id)}`;
}

/** Hash of every live entry, field `<type>:<encoded id>`, so an instance can load all entries at start. */
export function blacklistIndexKey(): string {
  return `jwt:blacklist:${TAG}:index`;
}

/** Stream of blacklist changes, read after a reconnect to catch up on what pub/sub missed. */
export function blacklistChangeStreamKey(): string {
  return `jwt:blacklist:${TAG}:changes`;
}

/** Pub/sub channel announcing new entries in the change stream. */
export function blacklistChannel(): string {
  return `jwt:blacklist:${TAG}:events`;
}

/** Field name of one entry in the index hash. */
export function blacklistIndexField(type: BlacklistEntryType, id: string): string {
  return `${type}:${keySegment(id)}`;
}
