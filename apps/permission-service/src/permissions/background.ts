import { permissionCacheInvalidationChannel } from '@platform/redis-keys';
import type { BackgroundTask } from '../background.ts';
import { parseInvalidation } from './service.ts';

/**
 * Subscribes to permission-change messages from every replica and drops the affected cache
 * entries. After a reconnect the whole cache is dropped, since messages sent meanwhile are lost.
 */
export const permissionCacheSubscriberTask: BackgroundTask = {
  name: 'permission-cache-subscriber',
  async start(context) {
    const subscriber = context.redis.duplicate({ maxRetriesPerRequest: null, connectionName: 'permission-service-cache-subscriber' });
    subscriber.on('error', (error) => context.logger.debug({ err: error }, 'permission cache subscriber connection error'));
    subscriber.on('ready', () => context.permissions.apply({ all: true }));
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== permissionCacheInvalidationChannel()) return;
      const scope = parseInvalidation(message);
      if (scope === undefined) {
        context.logger.warn({ code: 'invalid_permission_invalidation' }, 'ignored a malformed permission invalidation message');
        return;
      }
      context.permissions.apply(scope);
    });
    // ioredis re-subscribes by itself after a reconnect.
    subscriber.subscribe(permissionCacheInvalidationChannel()).catch((error: unknown) => {
      context.logger.warn({ err: error, code: 'permission_subscribe_failed' }, 'permission cache subscription failed; entries expire by their lifetime');
    });
    return async () => {
      subscriber.disconnect();
    };
  },
};
