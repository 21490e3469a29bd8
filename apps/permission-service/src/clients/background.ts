import type { BackgroundTask } from '../background.ts';
import { startSuspensionExpiryRecorder } from './expiry.ts';

const suspensionExpiry: BackgroundTask = {
  name: 'client-suspension-expiry',
  async start(context) {
    return startSuspensionExpiryRecorder(context.db, context.logger, context.config.CLIENT_SUSPENSION_EXPIRY_INTERVAL_MS, () => context.relay.nudge());
  },
};

/** Background work of the M2M client registry. */
export const clientBackgroundTasks: BackgroundTask[] = [suspensionExpiry];
