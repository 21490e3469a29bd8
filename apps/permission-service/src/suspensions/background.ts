import type { BackgroundTask } from '../background.ts';
import { startSuspensionExpiryWorker } from './expiry-worker.ts';
import { reconcileSuspensionExpiryJobs } from './reconcile.ts';

const RETRY_AFTER_FAILURE_MS = 5_000;

/** The worker that ends suspensions at their expiry. */
export const suspensionExpiryTask: BackgroundTask = {
  name: 'suspension-expiry-worker',
  async start(context) {
    const worker = startSuspensionExpiryWorker(context, () => context.relay.nudge());
    return () => worker.close();
  },
};

/**
 * Rebuilds missing expiry jobs from the database: at start, after every Redis reconnect (a
 * restarted Redis may have lost its delayed jobs), and every SUSPENSION_RECONCILE_INTERVAL_MS.
 */
export const suspensionReconcileTask: BackgroundTask = {
  name: 'suspension-expiry-reconciler',
  async start(context) {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    let running: Promise<void> | undefined;

    const run = () => {
      if (stopped || running) return;
      running = reconcileSuspensionExpiryJobs(context)
        .then(() => schedule(context.config.SUSPENSION_RECONCILE_INTERVAL_MS))
        .catch((error: unknown) => {
          context.logger.warn({ err: error, code: 'suspension_reconcile_failed' }, 'suspension expiry jobs could not be reconciled; retrying');
          schedule(RETRY_AFTER_FAILURE_MS);
        })
        .finally(() => {
          running = undefined;
        });
    };
    const schedule = (delayMs: number) => {
      if (stopped) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(run, delayMs);
    };
    const onReconnect = () => schedule(0);

    context.redis.on('ready', onReconnect);
    schedule(0);
    return async () => {
      stopped = true;
      context.redis.off('ready', onReconnect);
      if (timer) clearTimeout(timer);
      await running;
    };
  },
};
