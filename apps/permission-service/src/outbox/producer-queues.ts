import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { createQueue, type QueueName } from '@platform/queues';

/** Reconnect quickly after a Redis outage: 100 ms doubling to at most 2 s between attempts. */
export function reconnectDelay(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 2_000);
}

/**
 * BullMQ producers, one per queue, created on first use. Their connection does not queue commands
 * while Redis is down, so a publish fails instead of waiting. The outbox keeps the message and the
 * relay retries.
 */
export class ProducerQueues {
  private readonly url: string;
  private readonly logger: Logger;
  private readonly queues = new Map<QueueName, Queue>();

  constructor(url: string, logger: Logger) {
    this.url = url;
    this.logger = logger;
  }

  get(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = createQueue(name, { url: this.url, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000, retryStrategy: reconnectDelay });
      // BullMQ emits connection errors on the queue; the Redis connection logs its own outage once.
      queue.on('error', (error) => this.logger.debug({ err: error, queue: name }, 'queue connection error'));
      this.queues.set(name, queue);
    }
    return queue;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }
}
