import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

// Hop-by-hop headers (RFC 9110, section 7.6.1) belong to one connection and are never forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

// Browser credentials stay at the gateway, and identity headers are set only by NGINX after
// token validation, so a browser cannot send its own.
const DROPPED_REQUEST_HEADERS = new Set([
  'cookie',
  'authorization',
  'host',
  'x-csrf-token',
  'x-user-id',
  'x-client-id',
  'x-principal-type',
  'x-scopes',
  'x-rate-tier',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'forwarded',
]);

/** Headers for the upstream request: the browser's, minus credentials, plus the Bearer token. */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, options: { accessToken: string; requestId: string; clientIp: string; upstreamHost: string; publicOrigin: string }): OutgoingHttpHeaders {
  const forwarded: OutgoingHttpHeaders = {};
  const connectionListed = listedInConnection(headers.connection);
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || DROPPED_REQUEST_HEADERS.has(name) || connectionListed.has(name)) continue;
    forwarded[name] = value;
  }
  const publicUrl = new URL(options.publicOrigin);
  forwarded['host'] = options.upstreamHost;
  forwarded['authorization'] = `Bearer ${options.accessToken}`;
  forwarded['x-request-id'] = options.requestId;
  forwarded['x-forwarded-for'] = options.clientIp;
  forwarded['x-forwarded-host'] = publicUrl.host;
  forwarded['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
  return forwarded;
}

/** Headers for the browser: the upstream's, minus hop-by-hop headers and cookies. */
export function downstreamResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const forwarded: OutgoingHttpHeaders = {};
  const connectionListed = listedInConnection(headers.connection);
  for (const [name, value] of Object.entries(headers)) {
    // Only the gateway sets cookies on the public origin.
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'set-cookie' || connectionListed.has(name)) continue;
    forwarded[name] = value;
  }
  return forwarded;
}

function listedInConnection(value: string | undefined): Set<string> {
  return new Set((value ?? '').split(',').map((item) => item.trim().toLowerCase()).filter((item) => item !== ''));
}
