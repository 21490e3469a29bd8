import { createService, pingRedis, type Service } from '@platform/service-kit';
import { installAuthentication } from './auth/require-permission.ts';
import { auditRoutes } from './audit/routes.ts';
import { clientRoutes } from './clients/routes.ts';
import type { ServiceContext } from './context.ts';
import { pingDatabase } from './database/database.ts';
import { permissionRoutes } from './permissions/routes.ts';
import type { RoutePlugin } from './route-plugin.ts';
import { roleRoutes } from './roles/routes.ts';
import { suspensionRoutes } from './suspensions/routes.ts';
import { userRoutes } from './users/routes.ts';

/** Every route plugin of the service, one per concern, each receiving the shared context. */
export const ROUTE_PLUGINS: readonly RoutePlugin[] = [
  userRoutes,
  suspensionRoutes,
  roleRoutes,
  permissionRoutes,
  auditRoutes,
  clientRoutes,
];

/**
 * Builds the Fastify app: request ids, problem+json errors, /healthz, /readyz (PostgreSQL and
 * Redis), OpenAPI at /docs/json, bearer-token authentication, then the route plugins.
 */
export async function buildApp(context: ServiceContext): Promise<Service> {
  const app = await createService({
    name: 'permission-service',
    description: 'Users, roles, permissions, suspensions, the M2M client registry and the audit trail of the platform.',
    logger: context.logger,
    readiness: {
      postgres: () => pingDatabase(context.db),
      redis: () => pingRedis(context.redis),
    },
  });
  installAuthentication(app, context.authenticator);
  for (const plugin of ROUTE_PLUGINS) await app.register(plugin, { context });
  return app;
}
