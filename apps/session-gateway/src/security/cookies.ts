import type { CookieSerializeOptions } from '@fastify/cookie';

/** Names and attributes of the gateway's cookies for one deployment. */
export interface CookiePolicy {
  readonly sessionName: string;
  readonly loginBindingName: string;
  session(maxAgeSeconds: number): CookieSerializeOptions;
  loginBinding(maxAgeSeconds: number): CookieSerializeOptions;
  cleared(): CookieSerializeOptions;
}

/**
 * Builds the cookie policy. Cookies are HttpOnly, SameSite=Lax (the callback arrives as a top-level
 * navigation from the identity provider, which Strict would strip) and Path=/. When secure, they
 * also carry Secure and the `__Host-` prefix, which makes browsers refuse a Domain attribute and any
 * copy set over plain HTTP. Plain names are used only when COOKIE_SECURE=false for local HTTP runs.
 */
export function cookiePolicy(secure: boolean): CookiePolicy {
  const prefix = secure ? '__Host-' : '';
  const base = { httpOnly: true, secure, sameSite: 'lax' as const, path: '/' };
  return {
    sessionName: `${prefix}session`,
    loginBindingName: `${prefix}login-binding`,
    session: (maxAgeSeconds) => ({ ...base, maxAge: maxAgeSeconds }),
    loginBinding: (maxAgeSeconds) => ({ ...base, maxAge: maxAgeSeconds }),
    cleared: () => ({ ...base, maxAge: 0, expires: new Date(0) }),
  };
}
