// Step-up, "confirm it's you" (issues #16/#17): GET /auth/step-up asks a
// signed-in person for their second factor; POST /auth/step-up takes a TOTP or
// recovery code (JSON, or the page's form with its CSRF token), POST
// /auth/step-up/passkey a passkey's answer (JSON, from the page's script). On
// success the session is rotated (core/step-up.ts) and the browser goes on to
// redirectTo, checked by the redirect policy like every redirect.
import type { Context } from 'hono';
import { z } from 'zod';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { errorStatus, type ErrorCode } from '../../core/errors.ts';
import type { ValidSession } from '../../core/sessions.ts';
import { stepUpMethods, stepUpWithCode } from '../../core/step-up.ts';
import { stepUpWithPasskey } from '../../core/step-up-passkey.ts';
import { stepUpPage } from '../../pages/step-up-page.ts';
import { urlFor } from '../../route-table.ts';
import { readCookie } from '../cookies.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { htmlError } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { readBody, requestContext } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { assertionBody } from './passkeys.ts';
import { currentSession, malformedVerification, signedInForm, signedInJson } from './shared.ts';

const codeBody = z
  .object({ code: z.string().max(32).optional(), recoveryCode: z.string().max(64).optional(), redirectTo: z.string().max(2048).optional() })
  .refine((body) => (body.code === undefined) !== (body.recoveryCode === undefined), 'exactly one of code and recoveryCode');
const passkeyBody = assertionBody.extend({ redirectTo: z.string().max(2048).optional() });

/** A wrong answer may be tried again on the page (the step's cap and the account's delay bound it). */
const RETRYABLE = new Set<ErrorCode>(['totp_invalid', 'totp_reused', 'recovery_code_invalid', 'rate_limited', 'second_factor_locked']);

export function stepUpRoutes(deps: HttpDeps): Endpoints {
  /** Where to go after: the checked redirectTo (a refusal is audited), else the default. */
  async function target(c: Context<AppEnv>, value: string | undefined): Promise<string> {
    const { target: checked } = await deps.policy.checkRedirect(value, requestContext(c));
    return checked ?? deps.redirects.defaultPath;
  }

  async function page(c: Context<AppEnv>, found: ValidSession, redirectTo: string, method: 'totp' | 'recovery', error: ErrorCode | null) {
    const context = pageContext(c, deps);
    const methods = await stepUpMethods(deps, found.user.id);
    c.header('Cache-Control', 'no-store');
    const options = { email: found.user.email, redirectTo, method, ...methods, error: error ? context.t(`error.${error}.message`) : null };
    return c.html(stepUpPage(context, options), error ? errorStatus(error) : 200);
  }

  const stepUpPageHandler: Handler = async (c) => {
    const raw = c.req.query('redirectTo');
    const found = await currentSession(c, deps);
    // Not signed in: the sign-in page first, then on to the same place.
    if (!found) return c.redirect(urlFor('signIn', undefined, { redirectTo: raw && raw.length <= 2048 ? raw : null }), 303);
    const redirectTo = await target(c, raw);
    return page(c, found, redirectTo, c.req.query('method') === 'recovery' ? 'recovery' : 'totp', null);
  };

  async function withCode(c: Context<AppEnv>, found: ValidSession) {
    const parsed = codeBody.safeParse(await readBody(c));
    if (!parsed.success) return null;
    const redirectTo = await target(c, parsed.data.redirectTo);
    const result = await stepUpWithCode(deps, found, parsed.data, redirectTo, requestContext(c));
    return { result, redirectTo, method: parsed.data.recoveryCode !== undefined ? ('recovery' as const) : ('totp' as const) };
  }

  const stepUpJson: Handler = async (c) => {
    const found = await currentSession(c, deps);
    if (!found) return jsonError(c, 'unauthenticated');
    const done = await withCode(c, found);
    if (!done) return jsonError(c, await malformedVerification(c, deps));
    return done.result.ok ? signedInJson(c, deps, done.result, { redirectTo: done.redirectTo }) : jsonError(c, done.result.code);
  };

  const stepUpForm: Handler = async (c) => {
    const found = await currentSession(c, deps);
    if (!found) return c.redirect(urlFor('signIn'), 303);
    const done = await withCode(c, found);
    if (!done) return htmlError(c, deps, await malformedVerification(c, deps));
    if (done.result.ok) return signedInForm(c, deps, done.result);
    if (RETRYABLE.has(done.result.code)) return page(c, found, done.redirectTo, done.method, done.result.code);
    return htmlError(c, deps, done.result.code);
  };

  const stepUpPasskey: Handler = async (c) => {
    const found = await currentSession(c, deps);
    if (!found) return jsonError(c, 'unauthenticated');
    const parsed = passkeyBody.safeParse(await readBody(c));
    if (!parsed.success) return jsonError(c, await malformedVerification(c, deps));
    const redirectTo = await target(c, parsed.data.redirectTo);
    const input = { response: parsed.data.response as AuthenticationResponseJSON, browserToken: readCookie(c, deps.cookies.passkey) };
    const result = await stepUpWithPasskey(deps, found, input, redirectTo, requestContext(c));
    return result.ok ? signedInJson(c, deps, result, { redirectTo }) : jsonError(c, result.code);
  };

  return { stepUpPage: stepUpPageHandler, stepUp: { json: stepUpJson, form: stepUpForm }, stepUpPasskey };
}
