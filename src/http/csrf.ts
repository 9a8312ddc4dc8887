// CSRF tokens on HTML forms (issue #4 item 5), on top of the Origin /
// Sec-Fetch-Site check of cross-site.ts. A signed double-submit token: each
// browser gets a random HttpOnly cookie (`latchkey_csrf`, `__Host-` on https),
// and each form carries HMAC-SHA256(key derived from the server secret, that
// cookie value). Another site can neither read the cookie nor compute the HMAC,
// and a token taken from the attacker's own browser fits only the attacker's
// cookie. The cookie exists before sign-in, so the login forms are covered too;
// it is renewed at every sign-in, so no value from before the sign-in survives
// into the session (OWASP CSRF Prevention Cheat Sheet).
//
// Only bodies a foreign page can send without a CORS preflight are checked:
// urlencoded, multipart and text/plain. A cross-site request with
// application/json needs a preflight, which Latchkey never grants, so JSON keeps
// the Origin / Fetch-Metadata check alone.
import type { Context, MiddlewareHandler } from 'hono';
import type { LatchkeyConfig } from '../config.ts';
import { deriveKey, hmacSha256, randomToken } from '../core/crypto.ts';
import { cookieNames, readCookie, writeCookie } from './cookies.ts';
import type { AppEnv, HttpDeps } from './env.ts';
import { errorResponse } from './errors.ts';
import { readBody, requestContext } from './request.ts';

/** The hidden field every POST form carries (pages/csrf-field.ts renders it). */
export const CSRF_FIELD = 'csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SIMPLE_BODIES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

const KEYS = new WeakMap<LatchkeyConfig, Buffer>();

function csrfKey(config: LatchkeyConfig): Buffer {
  let key = KEYS.get(config);
  if (!key) KEYS.set(config, (key = deriveKey(config.secret, 'csrf-token')));
  return key;
}

function tokenFor(config: LatchkeyConfig, cookieValue: string): string {
  return hmacSha256(csrfKey(config), `csrf:${cookieValue}`);
}

function setCookie(c: Context<AppEnv>, deps: HttpDeps): string {
  const names = cookieNames(deps.config);
  const value = randomToken(32);
  // As long as a session may live: a form left open for a day still posts.
  writeCookie(c, names, names.csrf, value, deps.config.sessionTtlSeconds);
  c.set('csrfCookie', value);
  return value;
}

/** This browser's token for a form; a browser without the cookie gets one on this response. */
export function csrfToken(c: Context<AppEnv>, deps: HttpDeps): string {
  const current = c.get('csrfCookie') ?? readCookie(c, cookieNames(deps.config).csrf);
  return tokenFor(deps.config, current && COOKIE_VALUE.test(current) ? current : setCookie(c, deps));
}

/** At every sign-in: a new cookie, so forms from before it stop working (no pre-auth value survives). */
export function renewCsrfCookie(c: Context<AppEnv>, deps: HttpDeps): void {
  setCookie(c, deps);
}

/** Refuses a form post whose token is missing or is not this browser's: the policy decides and audits it. */
export function csrfGuard(deps: HttpDeps): MiddlewareHandler<AppEnv> {
  const names = cookieNames(deps.config);
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!SIMPLE_BODIES.has(type)) return next();
    // The same reading the routes do (parsed once, cached by Hono); text/plain and repeated fields are malformed.
    const body = await readBody(c);
    if (!body) return errorResponse(c, deps, 'invalid_request');
    const field = body[CSRF_FIELD];
    const cookie = readCookie(c, names.csrf);
    const decision = await deps.signIn.policy.checkFormToken(
      {
        expected: cookie && COOKIE_VALUE.test(cookie) ? tokenFor(deps.config, cookie) : null,
        presented: typeof field === 'string' ? field : null,
      },
      requestContext(c),
    );
    if (!decision.allow) return errorResponse(c, deps, 'forbidden');
    return next();
  };
}
