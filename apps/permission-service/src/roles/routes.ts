import type { RoutePlugin } from '../route-plugin.ts';

/** Role routes: role CRUD, role assignment and revocation, effective permissions. */
export const roleRoutes: RoutePlugin = async () => {};
