// The second step of sign-in (issue #5): the page that asks for a TOTP or a
// recovery code (GET /auth/sign-in/totp) and its post, which finds the pending
// sign-in by its HttpOnly cookie and gives the session.
import type { Context } from 'hono';
import { z } from 'zod';
import { errorStatus, type ErrorCode } from '../../core/errors.ts';
import { completeSecondFactor, findPendingSecondFactor } from '../../core/second-factor.ts';
import { secondFactorPage } from '../../pages/second-factor-page.ts';
import { clearCookie, readCookie } from '../cookies.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse, htmlError } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { readBody, requestContext } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { malformedVerification, signedInForm, signedInJson } from './shared.ts';

const secondFactorBody = z
  .object({ code: z.string().max(32).optional(), recoveryCode: z.string().max(64).optional() })
  .refine((body) => (body.code === undefined) !== (body.recoveryCode === undefined), 'exactly one of code and recoveryCode');

/** A wrong code may be retried while the pending sign-in lives; anything else ends it. */
const RETRYABLE = new Set<ErrorCode>(['totp_invalid', 'totp_reused', 'recovery_code_invalid', 'rate_limited']);

export function secondFactorRoutes(deps: HttpDeps): Endpoints {
  const names = deps.cookies;

  const secondFactorPageHandler: Handler = async (c) => {
    c.header('Cache-Control', 'no-store');
    const pending = await findPendingSecondFactor(deps, readCookie(c, names.secondFactor));
    if (!pending) return htmlError(c, deps, 'second_factor_expired');
    const method = c.req.query('method') === 'recovery' ? 'recovery' : 'totp';
    const expiresInSeconds = Math.max(1, Math.ceil((pending.expiresAt - deps.now()) / 1000));
    return c.html(secondFactorPage(pageContext(c, deps), { method, expiresInSeconds, ...(await waysToFinish(pending)) }));
  };

  /** Issue #17: TOTP, and/or a passkey sign-in when the account asks for one after email. */
  async function waysToFinish(pending: { userId: string; redirectTo: string | null; firstFactor: string }) {
    const settings = await deps.store.getPasskeySettings(pending.userId);
    const passkey = deps.passkeys !== null && settings.passkeys > 0 && pending.firstFactor !== 'password';
    return { totp: settings.totpEnabled, passkey: passkey ? { redirectTo: pending.redirectTo ?? '' } : null };
  }

  /** The step, the same for JSON and forms (null: a malformed body). */
  async function complete(c: Context<AppEnv>) {
    const parsed = secondFactorBody.safeParse(await readBody(c));
    if (!parsed.success) return null;
    const pendingToken = readCookie(c, names.secondFactor);
    const result = await completeSecondFactor(deps, pendingToken, parsed.data, requestContext(c));
    // Expired, used or locked: the cookie is worthless now; a wrong code may be retried.
    if (!result.ok && !RETRYABLE.has(result.code)) clearCookie(c, names, names.secondFactor);
    return { result, pendingToken, body: parsed.data };
  }

  const secondFactorJson: Handler = async (c) => {
    const done = await complete(c);
    if (!done) return jsonError(c, await malformedVerification(c, deps));
    return done.result.ok ? signedInJson(c, deps, done.result) : jsonError(c, done.result.code);
  };

  const secondFactorForm: Handler = async (c) => {
    const done = await complete(c);
    if (!done) return errorResponse(c, deps, await malformedVerification(c, deps));
    const { result, pendingToken, body } = done;
    if (result.ok) return signedInForm(c, deps, result);
    if (RETRYABLE.has(result.code)) {
      const pending = await findPendingSecondFactor(deps, pendingToken);
      if (pending) {
        const page = pageContext(c, deps);
        c.header('Cache-Control', 'no-store');
        return c.html(
          secondFactorPage(page, {
            method: body.recoveryCode !== undefined ? 'recovery' : 'totp',
            expiresInSeconds: Math.max(1, Math.ceil((pending.expiresAt - deps.now()) / 1000)),
            error: page.t(`error.${result.code}.message`),
            ...(await waysToFinish(pending)),
          }),
          errorStatus(result.code),
        );
      }
    }
    return htmlError(c, deps, result.code);
  };

  return { secondFactorPage: secondFactorPageHandler, secondFactor: { json: secondFactorJson, form: secondFactorForm } };
}
