import type { ConnectionOptions, Queue } from 'bullmq';
import { QUEUE_NAMES, createQueue, jobIdFor } from '@platform/queues';

/** An audit event that could not be stored, kept for operators with the reason. */
export interface AuditDeadLetter {
  reason: string;
  /** The event as received, with secret-looking fields redacted and long content cut. */
  event: unknown;
  producer: string;
  /** BullMQ id of the batch job that carried the event. */
  sourceJobId: string;
  /** Position of the event in its batch; null when the whole job was unreadable. */
  index: number | null;
  parkedAt: string;
}

const SECRET_KEY = /pass(word)?|secret|token|authori[sz]ation|cookie|api[-_]?key|credential/i;
const MAX_STRING_LENGTH = 1024;
const MAX_DEPTH = 8;
const MAX_EVENT_JSON_LENGTH = 16 * 1024;

/**
 * Copies an untrusted event for storage: values under secret-looking keys are replaced, long
 * strings are cut, deep nesting is flattened, and an event whose JSON is still larger than 16 KiB
 * is replaced by a preview. The event failed validation, so it may carry anything.
 */
export function sanitizeForDeadLetter(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING_LENGTH ? `${value.slice(0, MAX_STRING_LENGTH)}[cut]` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.slice(0, 128).map((item) => sanitizeForDeadLetter(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value).slice(0, 128)) {
    copy[key] = SECRET_KEY.test(key) ? '[redacted]' : sanitizeForDeadLetter(item, depth + 1);
  }
  return copy;
}

function boundedEvent(event: unknown): unknown {
  const sanitized = sanitizeForDeadLetter(event);
  const json = JSON.stringify(sanitized) ?? 'undefined';
  if (json.length <= MAX_EVENT_JSON_LENGTH) return sanitized;
  return { preview: json.slice(0, 4096), originalLength: json.length };
}

/**
 * Creates the dead-letter queue. Nothing consumes it: parked events wait there until an operator
 * reads them through the API and removes them with BullMQ tooling.
 */
export function createDeadLetterQueue(connection: ConnectionOptions): Queue<AuditDeadLetter> {
  // NOTE: parked events stay in Redis until removed by hand; there is no size cap or expiry yet.
  return createQueue<AuditDeadLetter>(QUEUE_NAMES.auditDeadLetters, connection, { removeOnComplete: false, removeOnFail: false });
}

export interface DeadLetterInput {
  reason: string;
  event: unknown;
  producer: string;
  sourceJobId: string;
  index: number | null;
}

/**
 * Parks events in the dead-letter queue. The job id comes from the source job and the position, so
 * parking the same batch again after a retry adds nothing.
 */
export async function parkDeadLetters(queue: Queue<AuditDeadLetter>, letters: DeadLetterInput[], now: Date = new Date()): Promise<void> {
  if (letters.length === 0) return;
  await queue.addBulk(letters.map((letter) => ({
    name: 'audit-dead-letter',
    data: { ...letter, event: boundedEvent(letter.event), parkedAt: now.toISOString() },
    opts: { jobId: jobIdFor('audit-dead-letter', letter.sourceJobId, String(letter.index ?? 'job')) },
  })));
}

export interface DeadLetterPage {
  total: number;
  items: Array<AuditDeadLetter & { id: string }>;
}

/** Lists parked events, oldest first, by offset: the queue keeps them in arrival order. */
export async function listDeadLetters(queue: Queue<AuditDeadLetter>, offset: number, limit: number): Promise<DeadLetterPage> {
  const [total, jobs] = await Promise.all([
    queue.getWaitingCount(),
    queue.getJobs(['waiting'], offset, offset + limit - 1, true),
  ]);
  const items = jobs
    .filter((job) => job !== undefined && job.id !== undefined)
    .map((job) => ({ id: job.id!, ...job.data }));
  return { total, items };
}
