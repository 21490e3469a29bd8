import type { RoutePlugin } from '../route-plugin.ts';

/** User routes: find-or-create, get, list, soft delete, restore. */
export const userRoutes: RoutePlugin = async () => {};
