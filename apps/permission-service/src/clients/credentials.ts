import type { Kysely } from 'kysely';
import type { Database } from '../database/database.ts';
import { verifyAgainstDecoy, verifySecret } from './secrets.ts';
import { clientStatusSql } from './status.ts';

export interface AuthenticatedClient {
  id: string;
  allowedScopes: string[];
  rateTier: string;
  tokenLifetimeSeconds: number;
  secretId: string;
}

/**
 * Checks client credentials for a token endpoint: the client must be active and the secret must
 * match one of its valid secrets (at most two during a rotation). Returns undefined otherwise,
 * without saying why, and spends the time of a hash check even for an unknown client.
 */
export async function authenticateClient(db: Kysely<Database>, clientId: string, secret: string): Promise<AuthenticatedClient | undefined> {
  const client = await db.selectFrom('m2m_clients')
    .select(['id', 'allowed_scopes', 'rate_tier', 'token_lifetime_seconds', clientStatusSql().as('status')])
    .where('id', '=', clientId)
    .executeTakeFirst();
  if (client === undefined || client.status !== 'active') return verifyAgainstDecoy(secret).then(() => undefined);

  const secrets = await db.selectFrom('m2m_client_secrets')
    .select(['id', 'secret_hash'])
    .where('client_id', '=', clientId)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', new Date())]))
    .execute();
  for (const candidate of secrets) {
    if (await verifySecret(secret, candidate.secret_hash)) {
      return { id: client.id, allowedScopes: client.allowed_scopes, rateTier: client.rate_tier, tokenLifetimeSeconds: client.token_lifetime_seconds, secretId: candidate.id };
    }
  }
  if (secrets.length === 0) await verifyAgainstDecoy(secret);
  return undefined;
}
