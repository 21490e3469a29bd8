import fastify from 'fastify';
import { Redis } from 'ioredis';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { blacklistEntryKey } from '@platform/redis-keys';

// Variant (b) of the validate benchmark: the usual design. Every request verifies the JWT signature
// (keys cached by jose) and then looks up its jti in Redis, one GET per request.

const issuer = process.env['ISSUER']!;
const audience = process.env['AUDIENCE']!;
const keys = createRemoteJWKSet(new URL(process.env['JWKS_URI']!));
const redis = new Redis(process.env['REDIS_URL']!);
const app = fastify({ logger: false });

app.get('/auth/validate', async (request, reply) => {
  const header = request.headers.authorization;
  if (header === undefined || !header.startsWith('Bearer ')) return reply.code(401).send();
  try {
    const { payload } = await jwtVerify(header.slice(7), keys, { issuer, audience, algorithms: ['RS256'], clockTolerance: 30 });
    if (typeof payload.jti === 'string' && (await redis.get(blacklistEntryKey('jti', payload.jti))) !== null) return reply.code(401).send();
    reply.header('x-user-id', payload.sub ?? '');
    return reply.code(200).send();
  } catch {
    return reply.code(401).send();
  }
});

await app.listen({ port: Number(process.env['PORT']), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => {
  redis.disconnect();
  process.exit(0);
}));
