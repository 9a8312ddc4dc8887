// The CSRF guard on HTML forms (issue #4 item 5), on top of the Origin /
// Sec-Fetch-Site check of cross-site.ts: a form post must carry this browser's
// token (csrf-token.ts, the signed double-submit token its pages carry).
//
// Only bodies a foreign page can send without a CORS preflight are checked:
// urlencoded, multipart and text/plain. A cross-site request with
// application/json needs a preflight, which Latchkey never grants, so JSON keeps
// the Origin / Fetch-Metadata check alone.
import type { MiddlewareHandler } from 'hono';
import { readCookie } from './cookies.ts';
import { CSRF_COOKIE_VALUE, csrfTokenFor } from './csrf-token.ts';
import type { AppEnv, HttpDeps } from './env.ts';
import { errorResponse } from './error-page.ts';
import { readBody, requestContext } from './request.ts';

/** The hidden field every POST form carries (pages/csrf-field.ts renders it). */
export const CSRF_FIELD = 'csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SIMPLE_BODIES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/** Refuses a form post whose token is missing or is not this browser's: the policy decides and audits it. */
export function csrfGuard(deps: HttpDeps): MiddlewareHandler<AppEnv> {
  const names = deps.cookies;
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!SIMPLE_BODIES.has(type)) return next();
    // The same reading the routes do (parsed once, cached by Hono); text/plain and repeated fields are malformed.
    const body = await readBody(c);
    if (!body) return errorResponse(c, deps, 'invalid_request');
    const field = body[CSRF_FIELD];
    const cookie = readCookie(c, names.csrf);
    const decision = await deps.policy.checkFormToken(
      {
        expected: cookie && CSRF_COOKIE_VALUE.test(cookie) ? csrfTokenFor(deps.csrfKey, cookie) : null,
        presented: typeof field === 'string' ? field : null,
      },
      requestContext(c),
    );
    if (!decision.allow) return errorResponse(c, deps, 'forbidden');
    return next();
  };
}
