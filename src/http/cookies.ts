// Cookie names and attributes. On https the __Host- prefix pins the cookie to
// this exact origin (no Domain, Path=/, Secure). With LATCHKEY_COOKIE_DOMAIN
// (forward-auth, issue #16) the session cookie alone is sent to every host below
// that domain: `__Secure-latchkey_session; Domain=…` on https (Secure, any
// Domain), `latchkey_session; Domain=…` on http in development. The flow, CSRF
// and second-factor cookies stay host-only: only the sign-in host reads them.
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { LatchkeyConfig } from '../config.ts';
import { sha256 } from '../core/crypto.ts';

export interface CookieNames {
  session: string;
  flow: string;
  /**
   * The same random flow id as `flow`, kept 24 hours: finds this browser's newest
   * sign-in request (check-email page, "send a new link"). Never an address
   * (issue #12 finding 10).
   */
  flowRequest: string;
  /** The pending second factor of a sign-in (issue #5): HttpOnly, 5 minutes. */
  secondFactor: string;
  /** The browser's CSRF secret (http/csrf.ts): HttpOnly, renewed at every sign-in. */
  csrf: string;
  secure: boolean;
  /** LATCHKEY_COOKIE_DOMAIN: the session cookie's Domain; null: host-only. */
  sessionDomain: string | null;
}

/** Computed once, at startup (createApp keeps them in HttpDeps.cookies; createLatchkey for getSession). */
export function cookieNames(config: Pick<LatchkeyConfig, 'baseUrl' | 'cookieDomain'>): CookieNames {
  const secure = config.baseUrl.protocol === 'https:';
  const prefix = secure ? '__Host-' : '';
  const sessionDomain = config.cookieDomain ?? null;
  return {
    session: sessionDomain === null ? `${prefix}latchkey_session` : `${secure ? '__Secure-' : ''}latchkey_session`,
    sessionDomain,
    flow: `${prefix}latchkey_flow`,
    flowRequest: `${prefix}latchkey_flow_request`,
    secondFactor: `${prefix}latchkey_second_factor`,
    csrf: `${prefix}latchkey_csrf`,
    secure,
  };
}

/** SHA-256 of this browser's flow cookie (the mark of the browser that asked for a sign-in), or null. */
export function flowHashOf(c: Context, names: CookieNames, name: string = names.flow): string | null {
  const flow = readCookie(c, name);
  // Bounded before any work: only the shape randomToken(32) gives is hashed.
  return flow && FLOW_ID.test(flow) ? sha256(flow) : null;
}

const FLOW_ID = /^[A-Za-z0-9_-]{43}$/;

export function readCookie(c: Context, name: string): string | undefined {
  return getCookie(c, name);
}

/** The Domain attribute of a cookie: the session's with LATCHKEY_COOKIE_DOMAIN, else none (host-only). */
function domainOf(names: CookieNames, name: string): { domain: string } | Record<never, never> {
  return name === names.session && names.sessionDomain !== null ? { domain: names.sessionDomain } : {};
}

export function writeCookie(c: Context, names: CookieNames, name: string, value: string, maxAgeSeconds: number): void {
  setCookie(c, name, value, { httpOnly: true, sameSite: 'Lax', path: '/', secure: names.secure, maxAge: maxAgeSeconds, ...domainOf(names, name) });
}

/** Cleared with the attributes it was set with: a shared session cookie needs its Domain to go. */
export function clearCookie(c: Context, names: CookieNames, name: string): void {
  deleteCookie(c, name, { path: '/', secure: names.secure, httpOnly: true, sameSite: 'Lax', ...domainOf(names, name) });
}
