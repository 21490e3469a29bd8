import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Folder of the platform's NGINX configuration source in this repository. */
export const NGINX_SOURCE_DIR = join(import.meta.dirname, '..', '..', '..', 'nginx');

/** Values of the placeholders in nginx/platform.conf.template. */
export interface PlatformNginxValues {
  /** `listen` argument of the API server, such as `127.0.0.1:8080`. */
  apiListen: string;
  /** `listen` argument of the browser-facing app server, such as `127.0.0.1:8000`. */
  appListen: string;
  /** host:port of each upstream. */
  tokenValidation: string;
  sessionGateway: string;
  permissionService: string;
  /** Business API behind /api/transactions (the sample backend locally). */
  transactionsApi: string;
  /** Request rate per client address on the API server, in NGINX's form (default `200r/s`). */
  apiRateLimit?: string;
  /** Requests above the rate accepted at once before 429 (default 400). */
  apiRateBurst?: number;
  /**
   * Address or CIDR of session-gateway, whose X-Forwarded-For header the API server believes
   * (default `127.0.0.1/32`, where the local stack runs the gateway).
   */
  gatewayAddresses?: string;
  /** Arguments of the servers' `access_log` directive: `off` (default) or a path followed by the `platform` JSON format. */
  accessLog?: string;
}

/** Replaces every `${NAME}` placeholder, failing on any that has no value so no placeholder reaches NGINX. */
export function fillPlaceholders(template: string, values: Record<string, string>): string {
  return template.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for the NGINX template placeholder \${${name}}`);
    return value;
  });
}

/**
 * Renders the platform's NGINX configuration for local use: the `http` directives for startNginx
 * and the snippet files they include.
 */
export function renderPlatformNginxConfig(values: PlatformNginxValues): { config: string; files: Record<string, string> } {
  const template = readFileSync(join(NGINX_SOURCE_DIR, 'platform.conf.template'), 'utf8');
  const config = fillPlaceholders(template, {
    API_LISTEN: values.apiListen,
    APP_LISTEN: values.appListen,
    TOKEN_VALIDATION_ADDR: values.tokenValidation,
    SESSION_GATEWAY_ADDR: values.sessionGateway,
    PERMISSION_SERVICE_ADDR: values.permissionService,
    TRANSACTIONS_API_ADDR: values.transactionsApi,
    API_RATE_LIMIT: values.apiRateLimit ?? '200r/s',
    API_RATE_BURST: String(values.apiRateBurst ?? 400),
    ACCESS_LOG: values.accessLog ?? 'off',
    GATEWAY_ADDRESSES: values.gatewayAddresses ?? '127.0.0.1/32',
  });
  const files = { 'security-headers.conf': readFileSync(join(NGINX_SOURCE_DIR, 'security-headers.conf'), 'utf8') };
  return { config, files };
}
