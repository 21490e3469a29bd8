import type { Job, Queue } from 'bullmq';
import { createQueue, type QueueName } from '@platform/queues';

/** Read access to the platform's queues on a test Redis, to see what the service published. */
export class QueueInspector {
  private readonly url: string;
  private readonly queues = new Map<QueueName, Queue>();

  constructor(url: string) {
    this.url = url;
  }

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = createQueue(name, { url: this.url, maxRetriesPerRequest: 1 });
      queue.on('error', () => {});
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Returns every job of a queue, in any state. */
  async jobs(name: QueueName): Promise<Job[]> {
    return this.queue(name).getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized']);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
  }
}
