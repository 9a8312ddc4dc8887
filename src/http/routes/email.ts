// The account's address (issue #5): ask to change it, confirm the change from
// the new mailbox, cancel it from the old one ("this wasn't me"), and verify it.
// GET on an emailed link only shows what it would do; POST consumes the token
// (through the one token engine). JSON clients get the result; forms come back
// as pages or redirects.
import type { Context } from 'hono';
import { z } from 'zod';
import { cancelEmailChange, confirmEmailChange, requestEmailChange } from '../../core/email-change.ts';
import { confirmEmailVerification, requestEmailVerification } from '../../core/email-verification.ts';
import { errorStatus, type ErrorCode } from '../../core/errors.ts';
import type { ValidSession } from '../../core/sessions.ts';
import { tokenErrorCode } from '../../core/tokens.ts';
import type { TokenPurpose } from '../../core/types.ts';
import { cancelEmailChangePage, confirmEmailPage, donePage, linkProblemPage, verifyEmailPage } from '../../pages/email-pages.ts';
import { urlFor, type UrlQuery } from '../../route-table.ts';
import { clearSessionCookies } from '../proxy-cookie.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { readBody, requestContext, verifyBody } from '../request.ts';
import type { Endpoints, Handler, JsonAndForm } from '../route-groups.ts';
import { currentSession, malformedVerification, userJson, withSession } from './shared.ts';

const changeBody = z.object({ newEmail: z.unknown() });
const MALFORMED = { ok: false, code: 'invalid_request' } as const;

/** Errors the account page's email form shows inline (routes/account-security.ts reads the same set). */
export const EMAIL_INLINE_ERRORS = new Set<ErrorCode>(['invalid_email', 'email_unchanged', 'reauthentication_required', 'rate_limited', 'invalid_request']);

type LinkPurpose = Exclude<TokenPurpose, 'sign_in'>;
type Failure = { ok: false; code: ErrorCode };

export function emailRoutes(deps: HttpDeps): Endpoints {
  function backToAccount(c: Context<AppEnv>, query: UrlQuery): Response {
    c.header('Cache-Control', 'no-store');
    return c.redirect(`${urlFor('account', undefined, query)}#email`, 303);
  }

  function refusedForm(c: Context<AppEnv>, code: ErrorCode): Response | Promise<Response> {
    return EMAIL_INLINE_ERRORS.has(code) ? backToAccount(c, { email: code }) : errorResponse(c, deps, code);
  }

  function linkProblem(c: Context<AppEnv>, code: ErrorCode, purpose: LinkPurpose): Response | Promise<Response> {
    c.set('errorCode', code);
    c.header('Cache-Control', 'no-store');
    if (code === 'rate_limited' || code === 'invalid_request') return errorResponse(c, deps, code);
    return c.html(linkProblemPage(pageContext(c, deps), { code, purpose }), errorStatus(code));
  }

  /** GET on an emailed link: the token judged without consuming it, then the page that asks for a click. */
  function linkPage(purpose: LinkPurpose, render: (c: Context<AppEnv>, token: string, email: string, otherEmail: string) => Response | Promise<Response>): Handler {
    return async (c) => {
      c.header('Cache-Control', 'no-store');
      c.header('Referrer-Policy', 'no-referrer');
      const token = c.req.query('token') ?? '';
      const shown = await deps.tokens.inspect(token, purpose, deps.now());
      if (!shown.ok) return linkProblem(c, tokenErrorCode(shown.reason), purpose);
      return render(c, token, shown.record.email, shown.record.otherEmail ?? '');
    };
  }

  /**
   * POST on an emailed link: the token read from the body and consumed by `consume`
   * (the same for JSON and forms), then answered by `json` or `form`.
   */
  function linkAction<R extends { ok: true }>(
    purpose: LinkPurpose,
    consume: (c: Context<AppEnv>, token: string) => Promise<R | Failure>,
    answer: { json: (c: Context<AppEnv>, result: R) => Response; form: (c: Context<AppEnv>, result: R) => Response | Promise<Response> },
  ): JsonAndForm {
    async function run(c: Context<AppEnv>) {
      const parsed = verifyBody.safeParse(await readBody(c));
      if (!parsed.success) return null;
      const result = await consume(c, parsed.data.token);
      c.header('Cache-Control', 'no-store');
      return result;
    }
    return {
      json: async (c) => {
        const result = await run(c);
        if (!result) return jsonError(c, await malformedVerification(c, deps));
        return result.ok ? answer.json(c, result) : jsonError(c, result.code);
      },
      form: async (c) => {
        const result = await run(c);
        if (!result) return errorResponse(c, deps, await malformedVerification(c, deps));
        return result.ok ? answer.form(c, result) : linkProblem(c, result.code, purpose);
      },
    };
  }

  // Changing the address.

  async function change(c: Context<AppEnv>, found: ValidSession) {
    const parsed = changeBody.safeParse(await readBody(c));
    if (!parsed.success) return MALFORMED;
    const page = pageContext(c, deps);
    return requestEmailChange(deps, found.user, found.session, { newEmail: parsed.data.newEmail, locale: page.t.locale }, requestContext(c));
  }

  const emailChange = withSession(deps, {
    json: async (c, found) => {
      const result = await change(c, found);
      if (!result.ok) return jsonError(c, result.code);
      c.header('Cache-Control', 'no-store');
      return c.json({ status: 'sent' }, 202);
    },
    form: async (c, found) => {
      const result = await change(c, found);
      return result.ok ? backToAccount(c, { email: 'change-sent', to: result.newEmail }) : refusedForm(c, result.code);
    },
  });

  const emailConfirm = linkAction(
    'email_change',
    async (c, token) => confirmEmailChange(deps, token, await currentSession(c, deps), requestContext(c)),
    {
      json: (c, result) => c.json({ user: userJson(result.user) }, 200),
      form: (c, result) =>
        c.html(
          donePage(pageContext(c, deps), {
            title: 'emailConfirmed.title',
            lines: [{ key: 'emailConfirmed.lead', params: { email: result.user.email, product: deps.config.productName } }],
            action: result.keptSession ? { href: urlFor('account'), label: 'done.toAccount' } : { href: urlFor('signIn'), label: 'done.signIn' },
          }),
        ),
    },
  );

  const emailCancel = linkAction('email_change_cancel', (c, token) => cancelEmailChange({ ...deps, appsLogout: deps.oidc?.appsLogout ?? null }, token, requestContext(c)), {
    json: (c, result) => {
      // Every session of the account is revoked; this browser's cookie goes too.
      clearSessionCookies(c, deps);
      const { ok: _ok, ...outcome } = result;
      return c.json({ status: 'cancelled', ...outcome }, 200);
    },
    form: (c, result) => {
      clearSessionCookies(c, deps);
      return c.html(
        donePage(pageContext(c, deps), {
          title: 'emailCancelled.title',
          lines: [
            { key: 'emailCancelled.lead', params: { email: result.email } },
            ...(result.passwordRemoved ? [{ key: 'emailCancelled.password' as const }] : []),
            ...(result.totpRemoved ? [{ key: 'emailCancelled.totp' as const }] : []),
            ...(result.passkeysRemoved > 0 ? [{ key: 'emailCancelled.passkeys' as const }] : []),
          ],
          action: { href: urlFor('signIn'), label: 'done.signIn' },
        }),
      );
    },
  });

  // Verifying the address.

  const sendVerification = (c: Context<AppEnv>, found: ValidSession) =>
    requestEmailVerification(deps, found.user, { locale: pageContext(c, deps).t.locale }, requestContext(c));

  const emailVerification = withSession(deps, {
    json: async (c, found) => {
      const result = await sendVerification(c, found);
      if (!result.ok) return jsonError(c, result.code);
      c.header('Cache-Control', 'no-store');
      return c.json({ status: 'sent' }, 202);
    },
    form: async (c, found) => {
      const result = await sendVerification(c, found);
      return result.ok ? backToAccount(c, { email: 'verification-sent' }) : refusedForm(c, result.code);
    },
  });

  const emailVerify = linkAction('email_verify', (c, token) => confirmEmailVerification(deps, token, requestContext(c)), {
    json: (c, result) => c.json({ status: 'verified', email: result.email }, 200),
    form: (c, result) =>
      c.html(
        donePage(pageContext(c, deps), {
          title: 'emailVerified.title',
          lines: [{ key: 'emailVerified.lead', params: { email: result.email } }],
          action: { href: urlFor('account'), label: 'done.toAccount' },
        }),
      ),
  });

  return {
    emailChange,
    emailConfirmPage: linkPage('email_change', (c, token, email, oldEmail) => c.html(confirmEmailPage(pageContext(c, deps), { token, email, oldEmail }))),
    emailConfirm,
    emailCancelPage: linkPage('email_change_cancel', (c, token, email, newEmail) =>
      c.html(cancelEmailChangePage(pageContext(c, deps), { token, email, newEmail })),
    ),
    emailCancel,
    emailVerification,
    emailVerifyPage: linkPage('email_verify', (c, token, email) => c.html(verifyEmailPage(pageContext(c, deps), { token, email }))),
    emailVerify,
  };
}
