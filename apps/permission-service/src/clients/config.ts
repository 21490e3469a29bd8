import { env, type VariableSpec } from '@platform/service-kit';

/** Environment variables of the M2M client registry; merged into the service configuration. */
export const clientConfigSpec = {
  /** Rate tiers a client may be given; NGINX receives the tier in X-Rate-Tier. The first is the default. */
  CLIENT_RATE_TIERS: env.list({ default: ['standard', 'premium', 'internal'], item: /^[a-z0-9][a-z0-9_-]{0,63}$/ }),
  /** Access token lifetime of a new client when the registration does not set one (seconds). */
  CLIENT_DEFAULT_TOKEN_LIFETIME_SECONDS: env.integer({ min: 60, max: 86_400, default: 900 }),
  /** Maximum access token lifetime a client may be given (seconds). */
  CLIENT_MAX_TOKEN_LIFETIME_SECONDS: env.integer({ min: 60, max: 86_400, default: 3_600 }),
  /** How long the previous secret stays valid after a rotation when the request does not say (seconds). */
  CLIENT_SECRET_ROTATION_GRACE_SECONDS: env.integer({ min: 0, max: 2_592_000, default: 86_400 }),
  /** Maximum grace period a rotation request may ask for (seconds). */
  CLIENT_SECRET_MAX_GRACE_SECONDS: env.integer({ min: 0, max: 7_776_000, default: 2_592_000 }),
  /** Interval at which expired client suspensions get their audit event (ms). */
  CLIENT_SUSPENSION_EXPIRY_INTERVAL_MS: env.integer({ min: 1_000, max: 3_600_000, default: 10_000 }),
} satisfies Record<string, VariableSpec<unknown>>;
