import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ServiceContext } from './context.ts';

/** Options every route plugin receives from buildApp. */
export interface RoutePluginOptions {
  context: ServiceContext;
}

/** A Fastify plugin that registers one concern's routes, typed from their TypeBox schemas. */
export type RoutePlugin = FastifyPluginAsyncTypebox<RoutePluginOptions>;
