// Password reset by email (issue #5): ask for it (a link and a code go to the
// address, if it has an account), then set the new password with the link's
// token or the address and code. Tokens are judged and consumed by the one
// token engine only; GET on the link only shows the form.
import type { Context } from 'hono';
import { z } from 'zod';
import { errorStatus, type ErrorCode } from '../../core/errors.ts';
import { requestPasswordReset, resetPassword } from '../../core/password-reset.ts';
import { tokenErrorCode } from '../../core/tokens.ts';
import { linkProblemPage } from '../../pages/email-pages.ts';
import { forgotPasswordPage, resetByCodePage, resetPasswordPage } from '../../pages/password-pages.ts';
import { urlFor } from '../../route-table.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { readBody, requestContext } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { passwordField } from './password-sign-in.ts';
import { malformedVerification, verifiedForm, verifiedJson } from './shared.ts';

const forgotBody = z.object({ email: z.unknown(), redirectTo: z.string().max(2048).optional() });
const resetBody = z.object({
  token: z.string().max(256).optional(),
  email: z.unknown().optional(),
  code: z.string().max(32).optional(),
  password: passwordField,
});
const RULE_ERRORS = new Set<ErrorCode>(['password_too_short', 'password_too_long', 'password_breached', 'invalid_request']);

export function passwordResetRoutes(deps: HttpDeps): Endpoints {

  const passwordForgotPage: Handler = (c) => c.html(forgotPasswordPage(pageContext(c, deps), {}));

  /** The request, the same for JSON and forms, or the code of a malformed one. */
  async function requestReset(c: Context<AppEnv>) {
    const parsed = forgotBody.safeParse(await readBody(c));
    if (!parsed.success) {
      // A malformed request still spends the per-IP mail bucket (issue #12 finding 1).
      const code: ErrorCode = (await deps.policy.checkMailRequest(requestContext(c))).allow ? 'invalid_request' : 'rate_limited';
      return code;
    }
    const page = pageContext(c, deps);
    const result = await requestPasswordReset(deps, { ...parsed.data, locale: page.t.locale }, requestContext(c));
    c.header('Cache-Control', 'no-store');
    return { result, body: parsed.data, page };
  }

  const passwordForgotJson: Handler = async (c) => {
    const asked = await requestReset(c);
    if (typeof asked === 'string') return jsonError(c, asked);
    return asked.result.ok ? c.json({ status: 'sent' }, 202) : jsonError(c, asked.result.code);
  };

  const passwordForgotForm: Handler = async (c) => {
    const asked = await requestReset(c);
    if (typeof asked === 'string') return errorResponse(c, deps, asked);
    const { result, body, page } = asked;
    if (!result.ok) {
      const email = typeof body.email === 'string' ? body.email.slice(0, 254) : '';
      return c.html(forgotPasswordPage(page, { email, error: page.t(`error.${result.code}.message`) }), errorStatus(result.code));
    }
    return c.html(resetByCodePage(page, { email: result.email, expiresInSeconds: deps.tokens.ttlSeconds('password_reset') }));
  };

  const passwordResetPage: Handler = async (c) => {
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    const token = c.req.query('token');
    if (token === undefined) return c.redirect(urlFor('passwordForgotPage'), 303);
    const shown = await deps.tokens.inspect(token, 'password_reset', deps.now());
    const page = pageContext(c, deps);
    if (!shown.ok) return linkProblem(c, tokenErrorCode(shown.reason));
    return c.html(resetPasswordPage(page, { token, email: shown.record.email }));
  };

  function linkProblem(c: Context<AppEnv>, code: ErrorCode): Response | Promise<Response> {
    c.set('errorCode', code);
    c.header('Cache-Control', 'no-store');
    return c.html(linkProblemPage(pageContext(c, deps), { code, purpose: 'password_reset' }), errorStatus(code));
  }

  /** The reset, the same for JSON and forms (null: a malformed body). */
  async function reset(c: Context<AppEnv>) {
    const parsed = resetBody.safeParse(await readBody(c));
    if (!parsed.success || (parsed.data.token === undefined && parsed.data.code === undefined)) return null;
    const body = parsed.data;
    const page = pageContext(c, deps);
    const input = body.token !== undefined ? { token: body.token, password: body.password } : { email: body.email, code: body.code, password: body.password };
    const result = await resetPassword(deps, { ...input, locale: page.t.locale }, requestContext(c));
    return { result, body, page };
  }

  const passwordResetJson: Handler = async (c) => {
    const done = await reset(c);
    if (!done) return jsonError(c, await malformedVerification(c, deps));
    return done.result.ok ? verifiedJson(c, deps, done.result) : jsonError(c, done.result.code);
  };

  const passwordResetForm: Handler = async (c) => {
    const done = await reset(c);
    if (!done) return errorResponse(c, deps, await malformedVerification(c, deps));
    const { result, body, page } = done;
    if (result.ok) return verifiedForm(c, deps, result);
    c.header('Cache-Control', 'no-store');
    const message = page.t(`error.${result.code}.message`);
    const status = errorStatus(result.code);
    // A refused password or a mistyped code: the same form again, with what was wrong.
    if (body.token !== undefined && RULE_ERRORS.has(result.code)) {
      const shown = await deps.tokens.inspect(body.token, 'password_reset', deps.now());
      if (shown.ok) return c.html(resetPasswordPage(page, { token: body.token, email: shown.record.email, error: message }), status);
    }
    if (body.token === undefined && typeof body.email === 'string' && (RULE_ERRORS.has(result.code) || result.code === 'code_invalid')) {
      const field = result.code === 'code_invalid' ? 'code' : 'password';
      const expiresInSeconds = deps.tokens.ttlSeconds('password_reset');
      const code = field === 'password' ? body.code?.slice(0, 9) : undefined;
      return c.html(resetByCodePage(page, { email: body.email.slice(0, 254), expiresInSeconds, code, error: message, errorField: field }), status);
    }
    if (result.code === 'rate_limited' || result.code === 'invalid_email') return errorResponse(c, deps, result.code);
    return linkProblem(c, result.code);
  };

  return {
    passwordForgotPage,
    passwordForgot: { json: passwordForgotJson, form: passwordForgotForm },
    passwordResetPage,
    passwordReset: { json: passwordResetJson, form: passwordResetForm },
  };
}
