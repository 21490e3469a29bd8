import type { RoutePlugin } from '../route-plugin.ts';

/** Routes of the M2M client registry. */
export const clientRoutes: RoutePlugin = async () => {};
