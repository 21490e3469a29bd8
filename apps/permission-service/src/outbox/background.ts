import type { BackgroundTask } from '../background.ts';

/** Runs the outbox relay on this replica; the Redis lease lets only one replica publish at a time. */
export const outboxRelayTask: BackgroundTask = {
  name: 'outbox-relay',
  async start(context) {
    context.relay.start();
    return () => context.relay.stop();
  },
};
