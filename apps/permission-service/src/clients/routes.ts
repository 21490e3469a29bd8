import { Type } from 'typebox';
import { HttpProblem } from '@platform/service-kit';
import { callerOf, requirePermission } from '../auth/require-permission.ts';
import { BEARER_SECURITY, GUARDED_ERRORS, IdParam, Problem } from '../http/schemas.ts';
import { actorOf } from '../outbox/actor.ts';
import type { RoutePlugin } from '../route-plugin.ts';
import { decodeCursor, encodeCursor, MICROSECOND_TIME } from '../audit/queries/cursor.ts';
import { ClientRegistry } from './registry.ts';
import {
  ClientSchema,
  ClientStatusSchema,
  RegisterBody,
  RegistrationSchema,
  RotationSchema,
  SuspendBody,
  SuspensionSchema,
  UpdateBody,
} from './route-schemas.ts';
import { SecretRotation } from './secret-rotation.ts';
import { ClientSuspensions } from './suspensions.ts';

const MANAGE = 'clients:manage';
const tags = ['clients'];
const ClientParams = Type.Object({ clientId: IdParam });
// Secrets travel in two responses; no cache or proxy may keep them.
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** Routes of the M2M client registry; every one requires the permission clients:manage. */
export const clientRoutes: RoutePlugin = async (app, { context }) => {
  const { config } = context;
  const registry = new ClientRegistry(context.db, {
    rateTiers: config.CLIENT_RATE_TIERS,
    defaultTokenLifetimeSeconds: Math.min(config.CLIENT_DEFAULT_TOKEN_LIFETIME_SECONDS, config.CLIENT_MAX_TOKEN_LIFETIME_SECONDS),
    maxTokenLifetimeSeconds: config.CLIENT_MAX_TOKEN_LIFETIME_SECONDS,
  });
  const suspensions = new ClientSuspensions(context.db, config.CLIENT_MAX_TOKEN_LIFETIME_SECONDS);
  const rotation = new SecretRotation(context.db);
  const guard = requirePermission(MANAGE);

  app.post('/v1/clients', {
    preHandler: guard,
    schema: {
      tags,
      summary: 'Register an M2M client; the response carries its secret, shown this once',
      security: BEARER_SECURITY,
      body: RegisterBody,
      response: { 201: RegistrationSchema, 400: Problem, ...GUARDED_ERRORS },
    },
  }, async (request, reply) => {
    const caller = callerOf(request);
    const registration = await registry.register(request.body, caller.permissions, actorOf(caller, request));
    context.relay.nudge();
    request.log.info({ clientId: registration.client.id, secretId: registration.secret.id }, 'M2M client registered');
    return reply.code(201).headers(NO_STORE).send(registration);
  });

  app.get('/v1/clients', {
    preHandler: guard,
    schema: {
      tags,
      summary: 'List M2M clients by registration time; deleted ones only with status=deleted',
      security: BEARER_SECURITY,
      querystring: Type.Object({
        status: Type.Optional(ClientStatusSchema),
        owner: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
        limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
        cursor: Type.Optional(Type.String({ maxLength: 512 })),
      }),
      response: { 200: Type.Object({ items: Type.Array(ClientSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), 400: Problem, ...GUARDED_ERRORS },
    },
  }, async (request) => {
    const { status, owner, limit, cursor } = request.query;
    const after = cursor === undefined ? undefined : decodeCursor(cursor, [MICROSECOND_TIME, 'string']);
    const page = await registry.list({
      limit,
      ...(status === undefined ? {} : { status }),
      ...(owner === undefined ? {} : { owner }),
      ...(after === undefined ? {} : { after: { createdAt: String(after[0]), id: String(after[1]) } }),
    });
    return { items: page.items, nextCursor: page.next === null ? null : encodeCursor([page.next.createdAt, page.next.id]) };
  });

  app.get('/v1/clients/:clientId', {
    preHandler: guard,
    schema: { tags, summary: 'Get an M2M client, its suspension in force and its secrets (metadata only)', security: BEARER_SECURITY, params: ClientParams, response: { 200: ClientSchema, 404: Problem, ...GUARDED_ERRORS } },
  }, async (request) => registry.get(request.params.clientId));

  app.patch('/v1/clients/:clientId', {
    preHandler: guard,
    schema: {
      tags,
      summary: 'Change the profile of an M2M client; narrowing its scopes rejects the tokens issued so far',
      security: BEARER_SECURITY,
      params: ClientParams,
      body: UpdateBody,
      response: { 200: ClientSchema, 400: Problem, 404: Problem, 409: Problem, ...GUARDED_ERRORS },
    },
  }, async (request) => {
    const caller = callerOf(request);
    const client = await registry.update(request.params.clientId, request.body, caller.permissions, actorOf(caller, request));
    context.relay.nudge();
    return client;
  });

  app.post('/v1/clients/:clientId/disable', {
    preHandler: guard,
    schema: {
      tags,
      summary: 'Disable an M2M client until enabled again; its tokens are rejected from now on',
      security: BEARER_SECURITY,
      params: ClientParams,
      body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false }),
      response: { 200: ClientSchema, 404: Problem, 409: Problem, ...GUARDED_ERRORS },
    },
  }, async (request) => {
    const client = await registry.disable(request.params.clientId, request.body.reason, actorOf(callerOf(request), request));
    context.relay.nudge();
    request.log.info({ clientId: client.id }, 'M2M client disabled');
    return client;
  });

  app.post('/v1/clients/:clientId/enable', {
    preHandler: guard,
    schema: { tags, summary: 'Enable a disabled M2M client; tokens issued before now stay rejected', security: BEARER_SECURITY, params: ClientParams, response: { 200: ClientSchema, 404: Problem, 409: Problem, ...GUARDED_ERRORS } },
  }, async (request) => {
    const client = await registry.enable(request.params.clientId, actorOf(callerOf(request), request));
    context.relay.nudge();
    request.log.info({ clientId: client.id }, 'M2M client enabled');
    return client;
  });

  app.delete('/v1/clients/:clientId', {
    preHandler: guard,
    schema: { tags, summary: 'Soft-delete an M2M client: its secrets are revoked and its tokens rejected for good', security: BEARER_SECURITY, params: ClientParams, response: { 200: ClientSchema, 404: Problem, ...GUARDED_ERRORS } },
  }, async (request) => {
    const client = await registry.delete(request.params.clientId, actorOf(callerOf(request), request));
    context.relay.nudge();
    request.log.info({ clientId: client.id }, 'M2M client deleted');
    return client;
  });

  app.post('/v1/clients/:clientId/secrets', {
    preHandler: guard,
    schema: {
      tags,
      summary: 'Rotate the secret of an M2M client; the previous one stays valid for the grace period',
      security: BEARER_SECURITY,
      params: ClientParams,
      body: Type.Optional(Type.Object({
        previousSecretGraceSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: config.CLIENT_SECRET_MAX_GRACE_SECONDS, description: 'How long the current secret stays valid; 0 revokes it at once.' })),
      }, { additionalProperties: false })),
      response: { 201: RotationSchema, 404: Problem, 409: Problem, ...GUARDED_ERRORS },
    },
  }, async (request, reply) => {
    const grace = request.body?.previousSecretGraceSeconds ?? config.CLIENT_SECRET_ROTATION_GRACE_SECONDS;
    const result = await rotation.rotate(request.params.clientId, grace, actorOf(callerOf(request), request));
    context.relay.nudge();
    request.log.info({ clientId: request.params.clientId, secretId: result.secretId, previousSecretIds: result.previousSecretIds, revokedSecretIds: result.revokedSecretIds }, 'M2M client secret rotated');
    return reply.code(201).headers(NO_STORE).send(result);
  });

  app.delete('/v1/clients/:clientId/secrets/:secretId', {
    preHandler: guard,
    schema: {
      tags,
      summary: 'Revoke one secret of an M2M client at once',
      security: BEARER_SECURITY,
      params: Type.Object({ clientId: IdParam, secretId: Type.String({ format: 'uuid' }) }),
      response: { 204: Type.Null(), 404: Problem, 409: Problem, ...GUARDED_ERRORS },
    },
  }, async (request, reply) => {
    await rotation.revoke(request.params.clientId, request.params.secretId, actorOf(callerOf(request), request));
    context.relay.nudge();
    request.log.info({ clientId: request.params.clientId, secretId: request.params.secretId }, 'M2M client secret revoked');
    return reply.code(204).send(null);
  });

  app.post('/v1/clients/:clientId/suspension', {
    preHandler: guard,
    schema: {
      tags,
      summary: 'Suspend an M2M client: its tokens are rejected until the suspension ends',
      description: 'Replaces a running suspension. The blacklist entry for token-validation and the audit event are stored in the same transaction and relayed to BullMQ.',
      security: BEARER_SECURITY,
      params: ClientParams,
      body: SuspendBody,
      response: { 201: Type.Object({ client: ClientSchema, suspension: SuspensionSchema }), 400: Problem, 404: Problem, 409: Problem, ...GUARDED_ERRORS },
    },
  }, async (request, reply) => {
    const { reason, expiresAt, durationSeconds } = request.body;
    if (expiresAt !== undefined && durationSeconds !== undefined) {
      throw new HttpProblem(400, 'invalid_suspension_expiry', 'Give either expiresAt or durationSeconds, not both.');
    }
    let end: Date | undefined;
    if (expiresAt !== undefined) end = new Date(expiresAt);
    else if (durationSeconds !== undefined) end = new Date(Date.now() + durationSeconds * 1000);
    const suspension = await suspensions.suspend(request.params.clientId, { reason, ...(end === undefined ? {} : { expiresAt: end }) }, actorOf(callerOf(request), request));
    context.relay.nudge();
    request.log.info({ clientId: request.params.clientId, suspensionId: suspension.id, expiresAt: suspension.expiresAt }, 'M2M client suspended');
    return reply.code(201).send({ client: await registry.get(request.params.clientId), suspension });
  });

  app.delete('/v1/clients/:clientId/suspension', {
    preHandler: guard,
    schema: {
      tags,
      summary: 'Lift the suspension in force of an M2M client; tokens issued before now stay rejected',
      security: BEARER_SECURITY,
      params: ClientParams,
      response: { 200: Type.Object({ client: ClientSchema, suspension: SuspensionSchema }), 404: Problem, 409: Problem, ...GUARDED_ERRORS },
    },
  }, async (request) => {
    const suspension = await suspensions.lift(request.params.clientId, undefined, actorOf(callerOf(request), request));
    context.relay.nudge();
    request.log.info({ clientId: request.params.clientId, suspensionId: suspension.id }, 'M2M client suspension lifted');
    return { client: await registry.get(request.params.clientId), suspension };
  });

  app.get('/v1/clients/:clientId/suspensions', {
    preHandler: guard,
    schema: { tags, summary: 'Suspension history of an M2M client, newest first', security: BEARER_SECURITY, params: ClientParams, response: { 200: Type.Object({ suspensions: Type.Array(SuspensionSchema) }), 404: Problem, ...GUARDED_ERRORS } },
  }, async (request) => ({ suspensions: await suspensions.history(request.params.clientId) }));
};
