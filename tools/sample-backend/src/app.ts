import { Type, type Static } from 'typebox';
import { createService, HttpProblem, type Service } from '@platform/service-kit';
import type { Logger } from 'pino';

// A stand-in for the platform's business APIs. It trusts the identity headers that NGINX sets from
// token-validation's answer and echoes them, so the whole request path can be seen working.

const Identity = Type.Object({
  userId: Type.Optional(Type.String()),
  clientId: Type.Optional(Type.String()),
  principalType: Type.Optional(Type.String()),
  scopes: Type.Array(Type.String()),
  rateTier: Type.Optional(Type.String()),
  requestId: Type.String(),
});
type Identity = Static<typeof Identity>;

const Transaction = Type.Object({
  id: Type.String(),
  amount: Type.String({ description: 'Decimal amount in the currency' }),
  currency: Type.String(),
  description: Type.String(),
});

const TransactionId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });

const SAMPLE_TRANSACTIONS = [
  { id: '41', amount: '-12.50', currency: 'EUR', description: 'Coffee beans' },
  { id: '42', amount: '2500.00', currency: 'EUR', description: 'Salary' },
  { id: '43', amount: '-80.00', currency: 'EUR', description: 'Electricity' },
];

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

/** Reads the identity NGINX passed on; a request without one did not come through NGINX. */
function identityOf(request: { headers: Record<string, string | string[] | undefined>; id: string }): Identity {
  const userId = header(request.headers, 'x-user-id');
  const clientId = header(request.headers, 'x-client-id');
  if (userId === undefined && clientId === undefined) {
    throw new HttpProblem(401, 'identity_missing', 'The request carries no identity headers; call this API through NGINX.');
  }
  return {
    userId,
    clientId,
    principalType: header(request.headers, 'x-principal-type'),
    scopes: (header(request.headers, 'x-scopes') ?? '').split(' ').filter((scope) => scope !== ''),
    rateTier: header(request.headers, 'x-rate-tier'),
    requestId: request.id,
  };
}

export async function buildSampleBackend(logger: Logger): Promise<Service> {
  const app = await createService({ name: 'sample-backend', description: 'Sample backend that echoes the identity NGINX passed on', logger });

  app.get('/api/transactions', {
    schema: {
      summary: 'List sample transactions with the caller identity',
      response: { 200: Type.Object({ identity: Identity, transactions: Type.Array(Transaction) }) },
    },
  }, async (request) => ({ identity: identityOf(request), transactions: SAMPLE_TRANSACTIONS }));

  app.get('/api/transactions/:id', {
    schema: {
      summary: 'Get one sample transaction with the caller identity',
      params: Type.Object({ id: TransactionId }),
      response: { 200: Type.Object({ identity: Identity, transaction: Transaction }) },
    },
  }, async (request) => {
    const identity = identityOf(request);
    const transaction = SAMPLE_TRANSACTIONS.find((candidate) => candidate.id === request.params.id)
      ?? { id: request.params.id, amount: '0.00', currency: 'EUR', description: 'Generated sample transaction' };
    return { identity, transaction };
  });

  return app;
}
