// Cookie names and attributes. On https the __Host- prefix pins the cookie to
// this exact origin (no Domain, Path=/, Secure); every cookie Latchkey's own
// API reads is host-only, the session cookie included. With
// LATCHKEY_COOKIE_DOMAIN (forward-auth, issue #16) one more cookie goes to every
// host below that domain: the proxy cookie, `__Secure-latchkey_proxy; Domain=…`
// on https (`latchkey_proxy; Domain=…` on http in development), which only the
// forward-auth endpoints accept (http/proxy-cookie.ts). The protected apps
// receive it, never the session: an app, or its logs, cannot act on the
// Latchkey account with it (review of issue #16, finding 2).
import type { Context } from 'hono';
import { deleteCookie, generateCookie, getCookie, setCookie } from 'hono/cookie';
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
  /** Passkeys (issue #17): the random mark binding a ceremony's challenge to this browser: HttpOnly, 5 minutes. */
  passkey: string;
  /** The account page's passkey offer was dismissed in this browser: not shown again for 30 days. */
  passkeyOffer: string;
  secure: boolean;
  /** LATCHKEY_COOKIE_DOMAIN: the proxy cookie's Domain; null: no proxy cookie. */
  sharedDomain: string | null;
  /** The forward-auth proxy cookie's name, written beside the session cookie; null without LATCHKEY_COOKIE_DOMAIN. */
  proxy: string | null;
}

/** Computed once, at startup (createApp keeps them in HttpDeps.cookies; createLatchkey for getSession). */
export function cookieNames(config: Pick<LatchkeyConfig, 'baseUrl' | 'cookieDomain'>): CookieNames {
  const secure = config.baseUrl.protocol === 'https:';
  const prefix = secure ? '__Host-' : '';
  const sharedDomain = config.cookieDomain ?? null;
  return {
    session: `${prefix}latchkey_session`,
    sharedDomain,
    proxy: sharedDomain === null ? null : `${secure ? '__Secure-' : ''}latchkey_proxy`,
    flow: `${prefix}latchkey_flow`,
    flowRequest: `${prefix}latchkey_flow_request`,
    secondFactor: `${prefix}latchkey_second_factor`,
    csrf: `${prefix}latchkey_csrf`,
    passkey: `${prefix}latchkey_passkey`,
    passkeyOffer: `${prefix}latchkey_passkey_offer`,
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

/** The Domain attribute of a cookie: the proxy cookie's LATCHKEY_COOKIE_DOMAIN, else none (host-only). */
function domainOf(names: CookieNames, name: string): { domain: string } | Record<never, never> {
  return name === names.proxy && names.sharedDomain !== null ? { domain: names.sharedDomain } : {};
}

export function writeCookie(c: Context, names: CookieNames, name: string, value: string, maxAgeSeconds: number): void {
  setCookie(c, name, value, { httpOnly: true, sameSite: 'Lax', path: '/', secure: names.secure, maxAge: maxAgeSeconds, ...domainOf(names, name) });
}

/** Cleared with the attributes it was set with: the shared proxy cookie needs its Domain to go. */
export function clearCookie(c: Context, names: CookieNames, name: string): void {
  deleteCookie(c, name, { path: '/', secure: names.secure, httpOnly: true, sameSite: 'Lax', ...domainOf(names, name) });
}

/**
 * The Set-Cookie lines that end this browser's session: the session cookie and,
 * with LATCHKEY_COOKIE_DOMAIN, the proxy cookie with its Domain. For answers
 * not written through Hono (the OpenID Connect provider's logout, oidc/logout.ts).
 */
export function sessionClearingHeaders(names: CookieNames): string[] {
  return [names.session, names.proxy]
    .filter((name): name is string => name !== null)
    .map((name) => generateCookie(name, '', { path: '/', secure: names.secure, httpOnly: true, sameSite: 'Lax', maxAge: 0, ...domainOf(names, name) }));
}
