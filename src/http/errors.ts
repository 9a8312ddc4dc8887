// Maps error codes to HTTP: JSON for API clients, the error page for browsers.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ERROR_MESSAGES, type ErrorCode } from '../core/errors.ts';
import { errorPage } from '../pages/error-page.ts';
import type { AppEnv, HttpDeps } from './env.ts';
import { pageContext } from './pages.ts';

export const ERROR_STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_request: 400,
  invalid_email: 400,
  token_invalid: 400,
  token_expired: 400,
  token_used: 400,
  token_replaced: 400,
  code_invalid: 400,
  code_locked: 429,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
};

export function jsonError(c: Context<AppEnv>, code: ErrorCode): Response {
  c.header('Cache-Control', 'no-store');
  return c.json({ error: { code, message: ERROR_MESSAGES[code], requestId: c.get('requestId') ?? null } }, ERROR_STATUS[code]);
}

export async function htmlError(c: Context<AppEnv>, deps: HttpDeps, code: ErrorCode): Promise<Response> {
  c.header('Cache-Control', 'no-store');
  return c.html(errorPage(pageContext(c, deps), { code, message: ERROR_MESSAGES[code] }), ERROR_STATUS[code]);
}

/** Browsers navigating get a page; everything else gets JSON. */
export function wantsHtml(c: Context<AppEnv>): boolean {
  const accept = c.req.header('accept') ?? '';
  return accept.includes('text/html') && !accept.startsWith('application/json');
}

export function errorResponse(c: Context<AppEnv>, deps: HttpDeps, code: ErrorCode): Response | Promise<Response> {
  return wantsHtml(c) ? htmlError(c, deps, code) : jsonError(c, code);
}
