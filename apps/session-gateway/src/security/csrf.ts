import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_HEADER = 'x-csrf-token';

export type CsrfVerdict = { allowed: true } | { allowed: false; reason: 'cross_origin' | 'origin_unknown' };

/**
 * Decides whether a cookie-authenticated request may change state. Safe methods always may. Other
 * methods need an Origin header equal to the public origin. Without Origin, they need a Referer from
 * the public origin, and without either, the session's CSRF token in the X-CSRF-Token header. An
 * Origin or Referer from anywhere else is rejected even with a valid token.
 */
export function checkCsrf(request: FastifyRequest, publicOrigin: string, sessionCsrfToken: string | undefined): CsrfVerdict {
  if (SAFE_METHODS.has(request.method)) return { allowed: true };

  const origin = singleHeader(request.headers.origin);
  if (origin !== undefined) return origin === publicOrigin ? { allowed: true } : { allowed: false, reason: 'cross_origin' };

  const referer = singleHeader(request.headers.referer);
  if (referer !== undefined) {
    const refererOrigin = URL.canParse(referer) ? new URL(referer).origin : undefined;
    return refererOrigin === publicOrigin ? { allowed: true } : { allowed: false, reason: 'cross_origin' };
  }

  const token = singleHeader(request.headers[CSRF_HEADER]);
  if (token !== undefined && sessionCsrfToken !== undefined && sessionCsrfToken !== '' && equalStrings(token, sessionCsrfToken)) return { allowed: true };
  return { allowed: false, reason: 'origin_unknown' };
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

function equalStrings(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
