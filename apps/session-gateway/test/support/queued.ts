import type { Job } from 'bullmq';
import { QUEUE_NAMES, type AuditBatchJob, type TokenRevocationJob } from '@platform/queues';
import type { AuditEvent } from '@platform/audit-schema';
import { waitFor } from '@platform/testing';
import type { TestEnvironment } from './environment.ts';

const STATES = ['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized'] as const;

/** Every audit event in the audit queue, oldest batch first. */
export async function queuedAuditEvents(env: TestEnvironment): Promise<AuditEvent[]> {
  const jobs = (await env.queue(QUEUE_NAMES.auditEvents).getJobs([...STATES])) as Array<Job<AuditBatchJob>>;
  return jobs.sort((a, b) => a.timestamp - b.timestamp).flatMap((job) => job.data.events as AuditEvent[]);
}

/** Waits until an audit event matching `predicate` is queued (events are micro-batched) and returns it. */
export async function waitForAuditEvent(env: TestEnvironment, predicate: (event: AuditEvent) => boolean, what: string): Promise<AuditEvent> {
  let found: AuditEvent | undefined;
  await waitFor(async () => {
    found = (await queuedAuditEvents(env)).find(predicate);
    return found !== undefined;
  }, what, 5_000);
  return found!;
}

/** Token revocation jobs waiting for token-validation. */
export async function waitingTokenRevocations(env: TestEnvironment): Promise<Array<Job<TokenRevocationJob>>> {
  return (await env.queue(QUEUE_NAMES.tokenRevocations).getJobs(['waiting'])) as Array<Job<TokenRevocationJob>>;
}

/** Decodes a JWT's payload without verifying it, to inspect what a test received. */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
