import { propagation, context } from '@opentelemetry/api';
import { Queue, Worker, type ConnectionOptions, type JobsOptions, type Processor, type WorkerOptions } from 'bullmq';
import { QUEUE_PREFIX, type QueueName } from './names.ts';

/**
 * Default job options: retried with exponential backoff for about an hour before a job fails for
 * good; failed jobs are kept (never removed) so an operator can see and retry them.
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: false,
};

export function createQueue<Data>(name: QueueName, connection: ConnectionOptions, defaultJobOptions: JobsOptions = DEFAULT_JOB_OPTIONS): Queue<Data> {
  return new Queue<Data>(name, { connection, prefix: QUEUE_PREFIX, defaultJobOptions });
}

/**
 * Creates a worker. Its Redis connection must use `maxRetriesPerRequest: null`, which BullMQ
 * requires so that blocking commands wait across reconnects.
 */
export function createWorker<Data>(
  name: QueueName,
  processor: Processor<Data>,
  connection: ConnectionOptions,
  options: Omit<WorkerOptions, 'connection' | 'prefix'> = {},
): Worker<Data> {
  return new Worker<Data>(name, processor, { connection, prefix: QUEUE_PREFIX, concurrency: 1, ...options });
}

/** Returns the W3C `traceparent` of the active context, for job metadata. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier['traceparent'];
}

/** Runs `work` inside the trace context carried by a job's `traceparent`. */
export function withJobTraceContext<T>(traceparent: string | undefined, work: () => T): T {
  if (traceparent === undefined) return work();
  const parent = propagation.extract(context.active(), { traceparent });
  return context.with(parent, work);
}
