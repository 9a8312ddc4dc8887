// Maps error codes to HTTP: JSON for API clients, the error page for browsers.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ERROR_MESSAGES, type ErrorCode } from '../core/errors.ts';
import { errorPage, offersNewLink } from '../pages/error-page.ts';
import { resendState } from './check-email.ts';
import type { AppEnv, HttpDeps } from './env.ts';
import { pageContext } from './pages.ts';

export const ERROR_STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_request: 400,
  invalid_email: 400,
  request_too_large: 413,
  token_invalid: 400,
  token_expired: 400,
  token_used: 400,
  token_replaced: 400,
  link_other_device: 400,
  approval_pending: 409,
  approval_refused: 400,
  code_invalid: 400,
  code_locked: 429,
  code_expired: 400,
  code_used: 400,
  code_replaced: 400,
  code_other_device: 400,
  totp_invalid: 400,
  totp_reused: 400,
  recovery_code_invalid: 400,
  second_factor_expired: 400,
  second_factor_locked: 429,
  totp_already_enabled: 409,
  totp_not_enabled: 409,
  reauthentication_required: 403,
  credentials_invalid: 400,
  password_too_short: 400,
  password_too_long: 400,
  password_breached: 400,
  password_not_set: 409,
  email_unchanged: 400,
  email_taken: 409,
  unauthenticated: 401,
  admin_token_required: 401,
  forbidden: 403,
  not_found: 404,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
};

export function jsonError(c: Context<AppEnv>, code: ErrorCode): Response {
  c.set('errorCode', code);
  c.header('Cache-Control', 'no-store');
  return c.json({ error: { code, message: ERROR_MESSAGES[code], requestId: c.get('requestId') ?? null } }, ERROR_STATUS[code]);
}

export async function htmlError(c: Context<AppEnv>, deps: HttpDeps, code: ErrorCode): Promise<Response> {
  c.set('errorCode', code);
  c.header('Cache-Control', 'no-store');
  // The request this browser made (found by its flow-request cookie) lets the page offer a
  // one-click "send a new link", with the countdown of the resend interval when it is too soon.
  const resend = offersNewLink(code) ? await resendState(c, deps) : null;
  return c.html(errorPage(pageContext(c, deps), { code, resend }), ERROR_STATUS[code]);
}

/** Browsers navigating get a page; everything else gets JSON. */
export function wantsHtml(c: Context<AppEnv>): boolean {
  const accept = c.req.header('accept') ?? '';
  return accept.includes('text/html') && !accept.startsWith('application/json');
}

export function errorResponse(c: Context<AppEnv>, deps: HttpDeps, code: ErrorCode): Response | Promise<Response> {
  return wantsHtml(c) ? htmlError(c, deps, code) : jsonError(c, code);
}
