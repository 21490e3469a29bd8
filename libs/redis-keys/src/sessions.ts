import { principalTag } from './encoding.ts';

// A user's session records and their index share the hash tag `{u:<tag>}`, so revoking every
// session of one user touches a single Redis Cluster slot and runs as one script.

/** Hash tag grouping all of one user's session data into one cluster slot. */
export function userSessionTag(userId: string): string {
  return userSessionTagFromPrincipalTag(principalTag(userId));
}

/**
 * Hash tag of a user's session data from the user's principal tag (see `principalTag`). The session
 * gateway puts the principal tag in the session cookie, so a request finds its session record
 * without a lookup table.
 */
export function userSessionTagFromPrincipalTag(tag: string): string {
  return `{u:${tag}}`;
}

/** Hash holding one session (encrypted tokens, timestamps, client details). */
export function sessionKey(userTag: string, sessionId: string): string {
  return `${sessionKeyPrefix(userTag)}${sessionId}`;
}

/**
 * Prefix of every session record key of one user. Scripts that walk a user's index append a session
 * id to it; `sessionKey(userTag, id)` equals `sessionKeyPrefix(userTag) + id`.
 */
export function sessionKeyPrefix(userTag: string): string {
  return `session:${userTag}:`;
}

/**
 * Sorted set of a user's session ids, scored by the time each session expires (epoch ms, the
 * earlier of its idle and absolute expiry), so expired ids can be removed by score.
 */
export function userSessionIndexKey(userTag: string): string {
  return `sessions:${userTag}:index`;
}

/** Short lock that makes one replica refresh a session's tokens while the others wait. */
export function sessionRefreshLockKey(userTag: string, sessionId: string): string {
  return `session-lock:${userTag}:${sessionId}`;
}

/** Pending login (state, nonce, PKCE verifier, return path), single-use, keyed by its state. */
export function pendingLoginKey(state: string): string {
  return `login:pending:${state}`;
}
