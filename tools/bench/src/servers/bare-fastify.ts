import fastify from 'fastify';

// Variant (a) of the validate benchmark: a Fastify route that returns 200 and does nothing else.

const app = fastify({ logger: false });
app.get('/auth/validate', async (_request, reply) => reply.code(200).send());
await app.listen({ port: Number(process.env['PORT']), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
