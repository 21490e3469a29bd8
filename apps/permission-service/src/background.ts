import type { ServiceContext } from './context.ts';
import { auditBackgroundTasks } from './audit/background.ts';
import { clientBackgroundTasks } from './clients/background.ts';
import { outboxRelayTask } from './outbox/background.ts';
import { permissionCacheSubscriberTask } from './permissions/background.ts';
import { suspensionExpiryTask, suspensionReconcileTask } from './suspensions/background.ts';

/**
 * Work that runs beside the HTTP server: queue workers, the outbox relay, reconcilers. `start`
 * must not wait for Redis or PostgreSQL to be reachable; it returns a function that stops the task.
 */
export interface BackgroundTask {
  readonly name: string;
  start(context: ServiceContext): Promise<() => Promise<void>>;
}

export const BACKGROUND_TASKS: readonly BackgroundTask[] = [
  permissionCacheSubscriberTask,
  outboxRelayTask,
  suspensionExpiryTask,
  suspensionReconcileTask,
  ...auditBackgroundTasks,
  ...clientBackgroundTasks,
];

/** Starts tasks in order and returns a function that stops them in reverse order. */
export async function startBackgroundTasks(context: ServiceContext, tasks: readonly BackgroundTask[] = BACKGROUND_TASKS): Promise<() => Promise<void>> {
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  for (const task of tasks) {
    stops.push({ name: task.name, stop: await task.start(context) });
    context.logger.info({ task: task.name }, 'background task started');
  }
  return async () => {
    for (const { name, stop } of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        context.logger.error({ err: error, task: name, code: 'background_stop_failed' }, 'background task did not stop cleanly');
      }
    }
  };
}
