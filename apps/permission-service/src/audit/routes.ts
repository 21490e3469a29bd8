import type { RoutePlugin } from '../route-plugin.ts';

/** Routes of the audit trail. */
export const auditRoutes: RoutePlugin = async () => {};
