import type { RoutePlugin } from '../route-plugin.ts';

/** Suspension routes: suspend, lift, history. */
export const suspensionRoutes: RoutePlugin = async () => {};
