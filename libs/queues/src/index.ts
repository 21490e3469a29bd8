export { QUEUE_NAMES, QUEUE_PREFIX, type QueueName } from './names.ts';
export {
  AuditBatchJob,
  SessionRevocationJob,
  TokenRevocationJob,
  auditBatchJobValidator,
  sessionRevocationJobValidator,
  tokenRevocationJobValidator,
} from './payloads.ts';
export { jobIdFor } from './job-id.ts';
export { DEFAULT_JOB_OPTIONS, createQueue, createWorker, currentTraceparent, withJobTraceContext } from './factories.ts';
export { AuditPublisher, type AuditPublisherOptions } from './audit-publisher.ts';
