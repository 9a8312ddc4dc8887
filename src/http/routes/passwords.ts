// Passwords (issue #5): sign in with one, set/change/remove it from the account,
// re-enter it to make a session recent, and reset it by email (link or code).
// Each endpoint answers JSON, or, for a form from the hosted pages, a page or a
// redirect. Tokens are judged and consumed by the one token engine only.
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { errorStatus, type ErrorCode } from '../../core/errors.ts';
import { requestPasswordReset, resetPassword } from '../../core/password-reset.ts';
import { reauthenticateWithPassword, signInWithPassword } from '../../core/password-sign-in.ts';
import { MAX_PASSWORD_INPUT, removeAccountPassword, setAccountPassword } from '../../core/passwords.ts';
import { checkRedirect } from '../../core/redirects.ts';
import type { ValidSession } from '../../core/sessions.ts';
import { tokenErrorCode } from '../../core/tokens.ts';
import { linkProblemPage } from '../../pages/email-pages.ts';
import { forgotPasswordPage, passwordSignInPage, resetByCodePage, resetPasswordPage } from '../../pages/password-pages.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { isFormRequest, readBody, requestContext } from '../request.ts';
import { answerVerified, currentSession, refuseMalformedVerification } from './shared.ts';

// Passwords are left `unknown` past their size cap: core/passwords.ts judges them (and never logs them).
const password = z.unknown().refine((value) => typeof value !== 'string' || value.length <= MAX_PASSWORD_INPUT);
const signInBody = z.object({ email: z.unknown(), password, redirectTo: z.string().max(2048).optional() });
const passwordBody = z.object({ password });
const forgotBody = z.object({ email: z.unknown(), redirectTo: z.string().max(2048).optional() });
const resetBody = z.object({
  token: z.string().max(256).optional(),
  email: z.unknown().optional(),
  code: z.string().max(32).optional(),
  password,
});

/** Password errors a form shows inline on the account page (anything else gets the error page). */
export const PASSWORD_INLINE_ERRORS = new Set<ErrorCode>([
  'password_too_short',
  'password_too_long',
  'password_breached',
  'password_not_set',
  'reauthentication_required',
  'credentials_invalid',
  'rate_limited',
  'invalid_request',
]);
const RULE_ERRORS = new Set<ErrorCode>(['password_too_short', 'password_too_long', 'password_breached', 'invalid_request']);

export function passwordRoutes(app: Hono<AppEnv>, deps: HttpDeps): void {
  const locale = (c: Context<AppEnv>) => pageContext(c, deps).t.locale;

  async function signedIn(c: Context<AppEnv>): Promise<ValidSession | Response> {
    const found = await currentSession(c, deps);
    if (found) return found;
    return isFormRequest(c) ? c.redirect('/auth/sign-in?redirectTo=%2Fauth%2Faccount', 303) : jsonError(c, 'unauthenticated');
  }

  function backToAccount(c: Context<AppEnv>, outcome: string): Response {
    c.header('Cache-Control', 'no-store');
    return c.redirect(`/auth/account?password=${outcome}#password`, 303);
  }

  function refused(c: Context<AppEnv>, code: ErrorCode): Response | Promise<Response> {
    if (!isFormRequest(c)) return jsonError(c, code);
    return PASSWORD_INLINE_ERRORS.has(code) ? backToAccount(c, code) : errorResponse(c, deps, code);
  }

  // Sign in with a password.

  app.get('/auth/sign-in/password', (c) =>
    c.html(passwordSignInPage(pageContext(c, deps), { redirectTo: checkRedirect(c.req.query('redirectTo'), deps.redirects) })),
  );

  app.post('/auth/sign-in/password', async (c) => {
    const asForm = isFormRequest(c);
    const parsed = signInBody.safeParse(await readBody(c));
    if (!parsed.success) return refuseMalformedVerification(c, deps, asForm);
    const result = await signInWithPassword(deps, parsed.data, requestContext(c));
    if (result.ok) return answerVerified(c, deps, result, asForm);
    if (!asForm) return jsonError(c, result.code);
    const page = pageContext(c, deps);
    c.header('Cache-Control', 'no-store');
    return c.html(
      passwordSignInPage(page, {
        email: typeof parsed.data.email === 'string' ? parsed.data.email.slice(0, 254) : '',
        redirectTo: checkRedirect(parsed.data.redirectTo, deps.redirects),
        error: page.t(`error.${result.code}.message`),
      }),
      errorStatus(result.code),
    );
  });

  // The account's password.

  app.get('/auth/password', async (c) => {
    c.header('Cache-Control', 'no-store');
    const found = await currentSession(c, deps);
    if (!found) return jsonError(c, 'unauthenticated');
    const stored = await deps.store.getPassword(found.user.id);
    return c.json({ set: stored !== null, changedAt: stored ? new Date(stored.changedAt).toISOString() : null });
  });

  app.post('/auth/password', async (c) => {
    const found = await signedIn(c);
    if (found instanceof Response) return found;
    const parsed = passwordBody.safeParse(await readBody(c));
    if (!parsed.success) return refused(c, 'invalid_request');
    const result = await setAccountPassword(deps, found.user, found.session, { password: parsed.data.password, locale: locale(c) }, requestContext(c));
    if (!result.ok) return refused(c, result.code);
    return isFormRequest(c) ? backToAccount(c, result.change) : c.body(null, 204);
  });

  const remove = async (c: Context<AppEnv>) => {
    const found = await signedIn(c);
    if (found instanceof Response) return found;
    const result = await removeAccountPassword(deps, found.user, found.session, { locale: locale(c) }, requestContext(c));
    if (!result.ok) return refused(c, result.code);
    return isFormRequest(c) ? backToAccount(c, result.change) : c.body(null, 204);
  };
  app.delete('/auth/password', remove);
  // HTML forms cannot send DELETE.
  app.post('/auth/password/remove', remove);

  app.post('/auth/reauthenticate', async (c) => {
    const found = await signedIn(c);
    if (found instanceof Response) return found;
    const parsed = passwordBody.safeParse(await readBody(c));
    if (!parsed.success) return refused(c, 'invalid_request');
    const result = await reauthenticateWithPassword(deps, found.user, found.session, parsed.data.password, requestContext(c));
    if (!result.ok) return refused(c, result.code);
    if (!isFormRequest(c)) return c.body(null, 204);
    c.header('Cache-Control', 'no-store');
    return c.redirect('/auth/account#password', 303);
  });

  // Reset by email.

  app.get('/auth/password/forgot', (c) => c.html(forgotPasswordPage(pageContext(c, deps), {})));

  app.post('/auth/password/forgot', async (c) => {
    const asForm = isFormRequest(c);
    const parsed = forgotBody.safeParse(await readBody(c));
    if (!parsed.success) {
      // A malformed request still spends the per-IP mail bucket (issue #12 finding 1).
      const code = (await deps.policy.checkMailRequest(requestContext(c))).allow ? 'invalid_request' : 'rate_limited';
      return asForm ? errorResponse(c, deps, code) : jsonError(c, code);
    }
    const page = pageContext(c, deps);
    const result = await requestPasswordReset(deps, { ...parsed.data, locale: page.t.locale }, requestContext(c));
    c.header('Cache-Control', 'no-store');
    if (!result.ok) {
      if (!asForm) return jsonError(c, result.code);
      const email = typeof parsed.data.email === 'string' ? parsed.data.email.slice(0, 254) : '';
      return c.html(forgotPasswordPage(page, { email, error: page.t(`error.${result.code}.message`) }), errorStatus(result.code));
    }
    if (!asForm) return c.json({ status: 'sent' }, 202);
    return c.html(resetByCodePage(page, { email: result.email, expiresInSeconds: deps.tokens.ttlSeconds('password_reset') }));
  });

  app.get('/auth/password/reset', async (c) => {
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    const token = c.req.query('token');
    if (token === undefined) return c.redirect('/auth/password/forgot', 303);
    const shown = await deps.tokens.inspect(token, 'password_reset', deps.now());
    const page = pageContext(c, deps);
    if (!shown.ok) return linkProblem(c, tokenErrorCode(shown.reason));
    return c.html(resetPasswordPage(page, { token, email: shown.record.email }));
  });

  function linkProblem(c: Context<AppEnv>, code: ErrorCode): Response | Promise<Response> {
    c.set('errorCode', code);
    c.header('Cache-Control', 'no-store');
    return c.html(linkProblemPage(pageContext(c, deps), { code, purpose: 'password_reset' }), errorStatus(code));
  }

  app.post('/auth/password/reset', async (c) => {
    const asForm = isFormRequest(c);
    const parsed = resetBody.safeParse(await readBody(c));
    if (!parsed.success || (parsed.data.token === undefined && parsed.data.code === undefined)) {
      return refuseMalformedVerification(c, deps, asForm);
    }
    const body = parsed.data;
    const page = pageContext(c, deps);
    const input = body.token !== undefined ? { token: body.token, password: body.password } : { email: body.email, code: body.code, password: body.password };
    const result = await resetPassword(deps, { ...input, locale: page.t.locale }, requestContext(c));
    if (result.ok) return answerVerified(c, deps, result, asForm);
    if (!asForm) return jsonError(c, result.code);
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
  });
}
