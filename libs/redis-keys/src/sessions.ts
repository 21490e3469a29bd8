import { principalTag } from './encoding.ts';

// A user's session records and their index share the hash tag `{u:<tag>}`, so revoking every
// session of one user touches a single Redis Cluster slot and runs as one script.

/** Hash tag grouping all of one user's session data into one cluster slot. */
export function userSessionTag(userId: string): string {
  return `{u:${principalTag(userId)}}`;
}

/** Hash holding one session (encrypted tokens, timestamps, client details). */
export function sessionKey(userTag: string, sessionId: string): string {
  return `session:${userTag}:${sessionId}`;
}

/** Sorted set of a user's session ids, scored by each session's absolute expiry (epoch ms). */
export function userSessionIndexKey(userTag: string): string {
  return `sessions:${userTag}:index`;
}

/** Short lock that makes one replica refresh a session's tokens while the others wait. */
export function sessionRefreshLockKey(userTag: string, sessionId: string): string {
  return `session:${userTag}:${sessionId}:refresh-lock`;
}

/** Pending login (state, nonce, PKCE verifier, return path), single-use, keyed by its state. */
export function pendingLoginKey(state: string): string {
  return `login:pending:${state}`;
}
