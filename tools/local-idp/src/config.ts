import { env, loadConfig } from '@platform/service-kit';
import { CLIENT_IDS, type ClientSecrets } from './clients.ts';

function isClientSecrets(value: unknown): value is Partial<ClientSecrets> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(value).every(([clientId, secret]) => (CLIENT_IDS as readonly string[]).includes(clientId) && typeof secret === 'string' && secret.length >= 16);
}

const lifetime = (defaultSeconds: number) => env.integer({ min: 1, max: 30 * 24 * 60 * 60, default: defaultSeconds, expected: 'a lifetime in seconds from 1 to 2592000' });

/** Environment of the local identity provider's main.ts. */
export const localIdpConfigSpec = {
  LOCAL_IDP_ISSUER: env.url({ protocols: ['http:', 'https:'], example: 'http://localhost:9400', default: 'http://localhost:9400' }),
  PORT: env.optional(env.port()),
  HOST: env.string({ default: '127.0.0.1' }),
  LOCAL_IDP_AUDIENCE: env.string({ default: 'urn:platform:api' }),
  LOCAL_IDP_APP_ORIGIN: env.url({ protocols: ['http:', 'https:'], example: 'http://localhost:8000', default: 'http://localhost:8000' }),
  LOCAL_IDP_CLIENT_SECRETS: env.optional(env.json({
    expected: `a JSON object mapping client ids (${CLIENT_IDS.join(', ')}) to secrets of at least 16 characters`,
    validate: isClientSecrets,
  })),
  LOCAL_IDP_STATE_DIR: env.optional(env.string()),
  LOCAL_IDP_ACCESS_TOKEN_TTL: lifetime(900),
  LOCAL_IDP_CLIENT_CREDENTIALS_TTL: lifetime(600),
  LOCAL_IDP_ID_TOKEN_TTL: lifetime(900),
  LOCAL_IDP_REFRESH_TOKEN_TTL: lifetime(8 * 60 * 60),
  LOCAL_IDP_SESSION_TTL: lifetime(8 * 60 * 60),
  LOG_LEVEL: env.oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], { default: 'info' }),
};

export function loadLocalIdpConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(localIdpConfigSpec, source);
}
