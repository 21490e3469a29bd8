import { Type } from 'typebox';

/** RFC 9457 problem details as every error of this service is sent. */
export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String(),
  detail: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
}, { additionalProperties: true });

export const BEARER_SECURITY = [{ bearer: [] as string[] }];

/** Error responses shared by guarded routes, for the OpenAPI document. */
export const GUARDED_ERRORS = { 401: Problem, 403: Problem };

export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

/** Path id of a row. Not restricted to UUIDs, so a malformed id is a 404 like any unknown one. */
export const IdParam = Type.String({ minLength: 1, maxLength: 128 });
