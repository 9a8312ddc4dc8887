// This browser's CSRF token (issue #4 item 5): a signed double-submit token.
// Each browser gets a random HttpOnly cookie (`latchkey_csrf`, `__Host-` on
// https), and each form carries HMAC-SHA256(key derived from the server secret,
// that cookie value). Another site can neither read the cookie nor compute the
// HMAC, and a token taken from the attacker's own browser fits only the
// attacker's cookie. The cookie exists before sign-in, so the login forms are
// covered too; it is renewed at every sign-in, so no value from before the
// sign-in survives into the session (OWASP CSRF Prevention Cheat Sheet).
// Pages ask for the token here; the guard that checks it is csrf.ts (apart, so
// pages need no error answers and the error page can carry a token: issue #13).
import type { Context } from 'hono';
import { hmacSha256 } from '../core/crypto.ts';
import { readCookie, writeCookie } from './cookies.ts';
import type { AppEnv, HttpDeps } from './env.ts';

/** The shape of a cookie value this server writes; anything else is treated as no cookie. */
export const CSRF_COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

/** The token that fits a cookie value; `key` is deriveKey(secret, 'csrf-token'), derived once (HttpDeps.csrfKey). */
export function csrfTokenFor(key: Buffer, cookieValue: string): string {
  return hmacSha256(key, `csrf:${cookieValue}`);
}

type CsrfDeps = Pick<HttpDeps, 'cookies' | 'csrfKey' | 'random' | 'config'>;

function setCookie(c: Context<AppEnv>, deps: CsrfDeps): string {
  const names = deps.cookies;
  const value = deps.random.token(32);
  // As long as a session may live: a form left open for a day still posts.
  writeCookie(c, names, names.csrf, value, deps.config.sessionTtlSeconds);
  c.set('csrfCookie', value);
  return value;
}

/** This browser's token for a form; a browser without the cookie gets one on this response. */
export function csrfToken(c: Context<AppEnv>, deps: CsrfDeps): string {
  const current = c.get('csrfCookie') ?? readCookie(c, deps.cookies.csrf);
  return csrfTokenFor(deps.csrfKey, current && CSRF_COOKIE_VALUE.test(current) ? current : setCookie(c, deps));
}

/** At every sign-in: a new cookie, so forms from before it stop working (no pre-auth value survives). */
export function renewCsrfCookie(c: Context<AppEnv>, deps: CsrfDeps): void {
  setCookie(c, deps);
}
