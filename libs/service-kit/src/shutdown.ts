import type { FastifyInstance } from 'fastify';

/**
 * Closes the service on SIGTERM or SIGINT. `app.close()` stops accepting connections, waits for
 * in-flight requests to finish, then runs the onClose hooks that close Redis, PostgreSQL and BullMQ.
 * A second signal, or a drain longer than `graceMs`, exits at once. Must be called before the app
 * is ready, because it adds a hook.
 */
export function installGracefulShutdown(app: FastifyInstance, graceMs = 10_000): void {
  let closing = false;
  // Responses sent while draining ask the client to close its keep-alive connection; otherwise
  // the connection stays open after the last response and the drain waits for the idle timeout.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      app.log.warn({ signal }, 'second signal during shutdown; exiting now');
      process.exit(1);
    }
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      app.log.error({ graceMs, code: 'shutdown_timeout' }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    app.close().then(
      () => {
        app.log.info('shutdown complete');
        process.exit(0);
      },
      (error: unknown) => {
        app.log.error({ err: error, code: 'shutdown_failed' }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
