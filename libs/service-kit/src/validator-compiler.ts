import AjvCompiler from '@fastify/ajv-compiler';

type BuildValidator = ReturnType<typeof AjvCompiler>;

/**
 * Builds Fastify's validators with two Ajv instances. Querystrings, params and headers arrive as
 * strings, so they keep Fastify's type coercion (`?limit=50` becomes a number); JSON bodies carry
 * their own types, so a body with `{"reason": 5}` is rejected rather than turned into "5".
 */
export function buildValidatorWithStrictBodies(): BuildValidator {
  const factory = AjvCompiler();
  return (externalSchemas, options) => {
    const coercing = factory(externalSchemas, options);
    const strict = factory(externalSchemas, {
      ...options,
      customOptions: { ...options?.customOptions, coerceTypes: false },
    } as Parameters<BuildValidator>[1]);
    return (route) => (route.httpPart === 'body' ? strict(route) : coercing(route));
  };
}
