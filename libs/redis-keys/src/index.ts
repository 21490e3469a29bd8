export { keySegment, principalTag } from './encoding.ts';
export {
  pendingLoginKey,
  sessionKey,
  sessionKeyPrefix,
  sessionRefreshLockKey,
  userSessionIndexKey,
  userSessionTag,
  userSessionTagFromPrincipalTag,
} from './sessions.ts';
export { REVOKE_USER_SESSIONS_SCRIPT } from './session-scripts.ts';
export {
  blacklistChangeStreamKey,
  blacklistChannel,
  blacklistEntryKey,
  blacklistIndexKey,
  type BlacklistEntryType,
} from './blacklist.ts';
export { outboxRelayLeaseKey, permissionCacheInvalidationChannel } from './permissions.ts';
