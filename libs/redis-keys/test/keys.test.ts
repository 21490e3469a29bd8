import { describe, expect, it } from 'vitest';
import {
  blacklistChangeStreamKey,
  blacklistChannel,
  blacklistEntryKey,
  blacklistIndexKey,
  keySegment,
  principalTag,
  sessionKey,
  sessionKeyPrefix,
  sessionRefreshLockKey,
  userSessionIndexKey,
  userSessionTag,
  userSessionTagFromPrincipalTag,
} from '../src/index.ts';

// Redis Cluster hashes only the text between the first `{` and the next `}`.
function hashTagOf(key: string): string {
  const start = key.indexOf('{');
  const end = key.indexOf('}', start + 1);
  return start >= 0 && end > start + 1 ? key.slice(start + 1, end) : key;
}

describe('session keys', () => {
  it('share one hash tag per user', () => {
    const tag = userSessionTag('auth0|abc');
    const slots = new Set([
      hashTagOf(sessionKey(tag, 's1')),
      hashTagOf(sessionKey(tag, 's2')),
      hashTagOf(userSessionIndexKey(tag)),
      hashTagOf(sessionRefreshLockKey(tag, 's1')),
    ]);
    expect(slots.size).toBe(1);
  });

  it('tag from the principal tag equals the tag from the user id', () => {
    expect(userSessionTagFromPrincipalTag(principalTag('auth0|abc'))).toBe(userSessionTag('auth0|abc'));
  });

  it('record key is the prefix followed by the session id', () => {
    const tag = userSessionTag('auth0|abc');
    expect(sessionKey(tag, 's1')).toBe(`${sessionKeyPrefix(tag)}s1`);
  });

  it('differ between users', () => {
    expect(userSessionTag('user-1')).not.toBe(userSessionTag('user-2'));
  });

  it.each(['*', 'user-1*', '[a-z]*', 'a:b', 'a{b}c', 'urn:x:y', '?'])('tag for %j has no glob or separator characters', (userId) => {
    const tag = userSessionTag(userId);
    expect(tag).toMatch(/^\{u:[A-Za-z0-9_-]{22}\}$/);
  });
});

describe('principalTag', () => {
  it('is stable', () => {
    expect(principalTag('auth0|abc')).toBe(principalTag('auth0|abc'));
  });
});

describe('keySegment', () => {
  it('keeps plain ids', () => {
    expect(keySegment('abc-123_x.y')).toBe('abc-123_x.y');
  });

  it.each(['a:b', '*', 'a{b', 'a b', ''])('encodes %j', (id) => {
    expect(keySegment(id)).toMatch(/^~[A-Za-z0-9_-]*$/);
  });
});

describe('blacklist keys', () => {
  it('share the blacklist hash tag', () => {
    expect(hashTagOf(blacklistEntryKey('user', 'auth0|x'))).toBe('jwt-blacklist');
    expect(blacklistEntryKey('jti', 'abc')).toBe('jwt:blacklist:{jwt-blacklist}:jti:abc');
  });

  it('put the entries, index, stream and channel in one slot', () => {
    const tags = new Set([
      hashTagOf(blacklistEntryKey('client', 'demo-m2m-client')),
      hashTagOf(blacklistIndexKey()),
      hashTagOf(blacklistChangeStreamKey()),
      hashTagOf(blacklistChannel()),
    ]);
    expect([...tags]).toEqual(['jwt-blacklist']);
  });

  it.each(['*', 'a:b', 'urn:x:user:1', 'a{b}c'])('encode the id %j as one segment', (id) => {
    const key = blacklistEntryKey('user', id);
    expect(key.split(':')).toHaveLength(5);
    expect(key).not.toBe(blacklistEntryKey('user', `${id}x`));
  });
});
