// Sign in with a password (issue #5): the page, and the form or JSON post that
// checks the address and password (core/password-sign-in.ts).
import type { Context } from 'hono';
import { z } from 'zod';
import { errorStatus } from '../../core/errors.ts';
import { signInWithPassword } from '../../core/password-sign-in.ts';
import { MAX_PASSWORD_INPUT } from '../../core/passwords.ts';
import { checkRedirect } from '../../core/redirects.ts';
import { passwordSignInPage } from '../../pages/password-pages.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { readBody, requestContext } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { malformedVerification, verifiedForm, verifiedJson } from './shared.ts';

// Passwords are left `unknown` past their size cap: core/passwords.ts judges them (and never logs them).
export const passwordField = z.unknown().refine((value) => typeof value !== 'string' || value.length <= MAX_PASSWORD_INPUT);
const signInBody = z.object({ email: z.unknown(), password: passwordField, redirectTo: z.string().max(2048).optional() });

export function passwordSignInRoutes(deps: HttpDeps): Endpoints {

  const signInPasswordPage: Handler = (c) =>
    c.html(passwordSignInPage(pageContext(c, deps), { redirectTo: checkRedirect(c.req.query('redirectTo'), deps.redirects) }));

  /** The check, the same for JSON and forms (null: a malformed body). */
  async function signIn(c: Context<AppEnv>) {
    const parsed = signInBody.safeParse(await readBody(c));
    if (!parsed.success) return null;
    const result = await signInWithPassword(deps, parsed.data, requestContext(c));
    return { result, body: parsed.data };
  }

  const signInPasswordJson: Handler = async (c) => {
    const checked = await signIn(c);
    if (!checked) return jsonError(c, await malformedVerification(c, deps));
    return checked.result.ok ? verifiedJson(c, deps, checked.result) : jsonError(c, checked.result.code);
  };

  const signInPasswordForm: Handler = async (c) => {
    const checked = await signIn(c);
    if (!checked) return errorResponse(c, deps, await malformedVerification(c, deps));
    const { result, body } = checked;
    if (result.ok) return verifiedForm(c, deps, result);
    const page = pageContext(c, deps);
    c.header('Cache-Control', 'no-store');
    return c.html(
      passwordSignInPage(page, {
        email: typeof body.email === 'string' ? body.email.slice(0, 254) : '',
        redirectTo: checkRedirect(body.redirectTo, deps.redirects),
        error: page.t(`error.${result.code}.message`),
      }),
      errorStatus(result.code),
    );
  };

  return { signInPasswordPage, signInPassword: { json: signInPasswordJson, form: signInPasswordForm } };
}
