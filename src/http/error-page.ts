// The error page a browser gets for a code (JSON for everyone else, errors.ts).
// Page machinery: the request this browser made (found by its flow-request cookie)
// lets the page offer a one-click "send a new link", with the countdown of the
// resend interval when it is too soon, and the page's forms carry the CSRF token.
import type { Context } from 'hono';
import { errorStatus, offersNewMail, type ErrorCode } from '../core/errors.ts';
import { errorPage } from '../pages/error-page.ts';
import { resendState } from './check-email.ts';
import type { AppEnv, HttpDeps } from './env.ts';
import { jsonError, markErrorAnswer, wantsHtml } from './errors.ts';
import { pageContext } from './pages.ts';

/**
 * `sets.csrfCookie` false: for a page another host's proxy passes on (forward-auth), no cookie is set.
 * `sets.stepUpUrl`: the absolute "confirm it's you" link that page offers (access_second_factor).
 */
export async function htmlError(
  c: Context<AppEnv>,
  deps: HttpDeps,
  code: ErrorCode,
  sets: { csrfCookie: boolean; stepUpUrl?: string } = { csrfCookie: true },
): Promise<Response> {
  markErrorAnswer(c, code);
  const resend = offersNewMail(code) && sets.csrfCookie ? await resendState(c, deps) : null;
  return c.html(errorPage(pageContext(c, deps, sets), { code, resend, stepUpUrl: sets.stepUpUrl ?? null }), errorStatus(code));
}

export function errorResponse(c: Context<AppEnv>, deps: HttpDeps, code: ErrorCode): Response | Promise<Response> {
  return wantsHtml(c) ? htmlError(c, deps, code) : jsonError(c, code);
}
