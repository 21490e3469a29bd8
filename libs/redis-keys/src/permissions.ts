/** Pub/sub channel telling every replica to drop cached permission look-ups. */
export function permissionCacheInvalidationChannel(): string {
  return 'permissions:cache:invalidate';
}

/** Leader lease for the outbox relay, so one replica relays at a time. */
export function outboxRelayLeaseKey(): string {
  return 'permission-service:outbox-relay:lease';
}
