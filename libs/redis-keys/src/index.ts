export { keySegment, principalTag } from './encoding.ts';
export { pendingLoginKey, sessionKey, sessionRefreshLockKey, userSessionIndexKey, userSessionTag } from './sessions.ts';
export {
  blacklistChangeStreamKey,
  blacklistChannel,
  blacklistEntryKey,
  blacklistIndexField,
  blacklistIndexKey,
  type BlacklistEntryType,
} from './blacklist.ts';
export { outboxRelayLeaseKey, permissionCacheInvalidationChannel } from './permissions.ts';
