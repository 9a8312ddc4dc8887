// The account's address (issue #5): ask to change it, confirm the change from
// the new mailbox, cancel it from the old one ("this wasn't me"), and verify it.
// GET on an emailed link only shows what it would do; POST consumes the token
// (through the one token engine). Forms come back as pages or redirects.
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { cancelEmailChange, confirmEmailChange, requestEmailChange } from '../../core/email-change.ts';
import { confirmEmailVerification, requestEmailVerification } from '../../core/email-verification.ts';
import { errorStatus, type ErrorCode } from '../../core/errors.ts';
import type { ValidSession } from '../../core/sessions.ts';
import { tokenErrorCode } from '../../core/tokens.ts';
import type { TokenPurpose } from '../../core/types.ts';
import { cancelEmailChangePage, confirmEmailPage, donePage, linkProblemPage, verifyEmailPage } from '../../pages/email-pages.ts';
import { clearCookie } from '../cookies.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { isFormRequest, readBody, requestContext, verifyBody } from '../request.ts';
import { currentSession, refuseMalformedVerification, userJson } from './shared.ts';

const changeBody = z.object({ newEmail: z.unknown() });

/** Errors the account page's email form shows inline (routes/account-security.ts reads the same set). */
export const EMAIL_INLINE_ERRORS = new Set<ErrorCode>(['invalid_email', 'email_unchanged', 'reauthentication_required', 'rate_limited', 'invalid_request']);

type LinkPurpose = Exclude<TokenPurpose, 'sign_in'>;

export function emailRoutes(app: Hono<AppEnv>, deps: HttpDeps): void {
  const names = deps.cookies;

  async function signedIn(c: Context<AppEnv>): Promise<ValidSession | Response> {
    const found = await currentSession(c, deps);
    if (found) return found;
    return isFormRequest(c) ? c.redirect('/auth/sign-in?redirectTo=%2Fauth%2Faccount', 303) : jsonError(c, 'unauthenticated');
  }

  function backToAccount(c: Context<AppEnv>, query: string): Response {
    c.header('Cache-Control', 'no-store');
    return c.redirect(`/auth/account?${query}#email`, 303);
  }

  function refused(c: Context<AppEnv>, code: ErrorCode): Response | Promise<Response> {
    if (!isFormRequest(c)) return jsonError(c, code);
    return EMAIL_INLINE_ERRORS.has(code) ? backToAccount(c, `email=${code}`) : errorResponse(c, deps, code);
  }

  function linkProblem(c: Context<AppEnv>, code: ErrorCode, purpose: LinkPurpose): Response | Promise<Response> {
    c.set('errorCode', code);
    c.header('Cache-Control', 'no-store');
    if (code === 'rate_limited' || code === 'invalid_request') return errorResponse(c, deps, code);
    return c.html(linkProblemPage(pageContext(c, deps), { code, purpose }), errorStatus(code));
  }

  /** GET on an emailed link: the token judged without consuming it, then the page that asks for a click. */
  function linkPage(path: string, purpose: LinkPurpose, render: (c: Context<AppEnv>, token: string, email: string, otherEmail: string) => Response | Promise<Response>) {
    app.get(path, async (c) => {
      c.header('Cache-Control', 'no-store');
      c.header('Referrer-Policy', 'no-referrer');
      const token = c.req.query('token') ?? '';
      const shown = await deps.tokens.inspect(token, purpose, deps.now());
      if (!shown.ok) return linkProblem(c, tokenErrorCode(shown.reason), purpose);
      return render(c, token, shown.record.email, shown.record.otherEmail ?? '');
    });
  }

  async function tokenFrom(c: Context<AppEnv>): Promise<string | Response> {
    const parsed = verifyBody.safeParse(await readBody(c));
    if (parsed.success) return parsed.data.token;
    return refuseMalformedVerification(c, deps, isFormRequest(c));
  }

  // Changing the address.

  app.post('/auth/email/change', async (c) => {
    const found = await signedIn(c);
    if (found instanceof Response) return found;
    const parsed = changeBody.safeParse(await readBody(c));
    if (!parsed.success) return refused(c, 'invalid_request');
    const page = pageContext(c, deps);
    const result = await requestEmailChange(deps, found.user, found.session, { newEmail: parsed.data.newEmail, locale: page.t.locale }, requestContext(c));
    if (!result.ok) return refused(c, result.code);
    if (isFormRequest(c)) return backToAccount(c, `email=change-sent&to=${encodeURIComponent(result.newEmail)}`);
    c.header('Cache-Control', 'no-store');
    return c.json({ status: 'sent' }, 202);
  });

  linkPage('/auth/email/confirm', 'email_change', (c, token, email, oldEmail) =>
    c.html(confirmEmailPage(pageContext(c, deps), { token, email, oldEmail })),
  );

  app.post('/auth/email/confirm', async (c) => {
    const token = await tokenFrom(c);
    if (token instanceof Response) return token;
    const current = await currentSession(c, deps);
    const result = await confirmEmailChange(deps, token, current, requestContext(c));
    c.header('Cache-Control', 'no-store');
    if (!result.ok) return isFormRequest(c) ? linkProblem(c, result.code, 'email_change') : jsonError(c, result.code);
    if (!isFormRequest(c)) return c.json({ user: userJson(result.user) }, 200);
    return c.html(
      donePage(pageContext(c, deps), {
        title: 'emailConfirmed.title',
        lines: [{ key: 'emailConfirmed.lead', params: { email: result.user.email, product: deps.config.productName } }],
        action: result.keptSession ? { href: '/auth/account', label: 'done.toAccount' } : { href: '/auth/sign-in', label: 'done.signIn' },
      }),
    );
  });

  linkPage('/auth/email/cancel', 'email_change_cancel', (c, token, email, newEmail) =>
    c.html(cancelEmailChangePage(pageContext(c, deps), { token, email, newEmail })),
  );

  app.post('/auth/email/cancel', async (c) => {
    const token = await tokenFrom(c);
    if (token instanceof Response) return token;
    const result = await cancelEmailChange(deps, token, requestContext(c));
    c.header('Cache-Control', 'no-store');
    if (!result.ok) return isFormRequest(c) ? linkProblem(c, result.code, 'email_change_cancel') : jsonError(c, result.code);
    // Every session of the account is revoked; this browser's cookie goes too.
    clearCookie(c, names, names.session);
    const { ok: _ok, ...outcome } = result;
    if (!isFormRequest(c)) return c.json({ status: 'cancelled', ...outcome }, 200);
    return c.html(
      donePage(pageContext(c, deps), {
        title: 'emailCancelled.title',
        lines: [
          { key: 'emailCancelled.lead', params: { email: result.email } },
          ...(result.passwordRemoved ? [{ key: 'emailCancelled.password' as const }] : []),
          ...(result.totpRemoved ? [{ key: 'emailCancelled.totp' as const }] : []),
        ],
        action: { href: '/auth/sign-in', label: 'done.signIn' },
      }),
    );
  });

  // Verifying the address.

  app.post('/auth/email/verification', async (c) => {
    const found = await signedIn(c);
    if (found instanceof Response) return found;
    const result = await requestEmailVerification(deps, found.user, { locale: pageContext(c, deps).t.locale }, requestContext(c));
    if (!result.ok) return refused(c, result.code);
    if (isFormRequest(c)) return backToAccount(c, 'email=verification-sent');
    c.header('Cache-Control', 'no-store');
    return c.json({ status: 'sent' }, 202);
  });

  linkPage('/auth/email/verify', 'email_verify', (c, token, email) => c.html(verifyEmailPage(pageContext(c, deps), { token, email })));

  app.post('/auth/email/verify', async (c) => {
    const token = await tokenFrom(c);
    if (token instanceof Response) return token;
    const result = await confirmEmailVerification(deps, token, requestContext(c));
    c.header('Cache-Control', 'no-store');
    if (!result.ok) return isFormRequest(c) ? linkProblem(c, result.code, 'email_verify') : jsonError(c, result.code);
    if (!isFormRequest(c)) return c.json({ status: 'verified', email: result.email }, 200);
    return c.html(
      donePage(pageContext(c, deps), {
        title: 'emailVerified.title',
        lines: [{ key: 'emailVerified.lead', params: { email: result.email } }],
        action: { href: '/auth/account', label: 'done.toAccount' },
      }),
    );
  });
}
