// BullMQ queue names. A job that concerns two services is two jobs on two queues, one per consumer.
export const QUEUE_NAMES = {
  /** Revocations for token-validation to apply to the JWT blacklist. */
  tokenRevocations: 'token-validation.revocations',
  /** Revocations for session-gateway to apply to sessions (for example after a suspension). */
  sessionRevocations: 'session-gateway.revocations',
  /** Audit events for permission-service to store. */
  auditEvents: 'permission-service.audit-events',
  /** Audit events that failed validation, kept for operators. */
  auditDeadLetters: 'permission-service.audit-dead-letters',
  /** Delayed jobs that end suspensions at their expiry. */
  suspensionExpiry: 'permission-service.suspension-expiry',
} as const;

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

/**
 * Prefix of every BullMQ key. The braces make it a hash tag, so each queue's keys live in one
 * Redis Cluster slot as BullMQ requires.
 */
export const QUEUE_PREFIX = '{bullmq}';
