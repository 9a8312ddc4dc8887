// The second step of sign-in (issue #5): the page that asks for a TOTP or a
// recovery code (GET /auth/sign-in/totp) and its post, which finds the pending
// sign-in by its HttpOnly cookie and gives the session; and (issue #17) the
// passkey answer that completes the same step (POST /auth/sign-in/passkey).
import type { Context } from 'hono';
import { z } from 'zod';
import { errorStatus, type ErrorCode } from '../../core/errors.ts';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { completeSecondFactorWithPasskey } from '../../core/passkey-second-factor.ts';
import { completeSecondFactor, findPendingSecondFactor } from '../../core/second-factor.ts';
import { secondFactorPage } from '../../pages/second-factor-page.ts';
import { clearCookie, readCookie } from '../cookies.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse, htmlError } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { readBody, requestContext } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { assertionBody } from './passkeys.ts';
import { malformedVerification, signedInForm, signedInJson } from './shared.ts';

const secondFactorBody = z
  .object({ code: z.string().max(32).optional(), recoveryCode: z.string().max(64).optional() })
  .refine((body) => (body.code === undefined) !== (body.recoveryCode === undefined), 'exactly one of code and recoveryCode');

/** A wrong code may be retried while the pending sign-in lives; anything else ends it. */
const RETRYABLE = new Set<ErrorCode>([
  'totp_invalid',
  'totp_reused',
  'recovery_code_invalid',
  'rate_limited',
  // A passkey answer that failed (cancelled, another account's, a stale challenge): try again, or use the code.
  'passkey_invalid',
  'passkey_unknown',
  'passkey_wrong_account',
  'passkey_challenge_invalid',
  'passkey_challenge_expired',
]);

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

  /**
   * Issue #17: the code form when TOTP is on, and the passkey button whenever the
   * account has a passkey: it completes this very step (a held reset included).
   */
  async function waysToFinish(pending: { userId: string }) {
    const requirements = await deps.store.getSignInRequirements(pending.userId);
    return { totp: requirements.totpEnabled, passkey: deps.passkeys !== null && requirements.passkeys > 0 };
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

  /** The step page's script posts the passkey's answer here (JSON); the session, or a code to show. */
  const secondFactorPasskey: Handler = async (c) => {
    const parsed = assertionBody.safeParse(await readBody(c));
    if (!parsed.success) return jsonError(c, await malformedVerification(c, deps));
    const input = { response: parsed.data.response as AuthenticationResponseJSON, browserToken: readCookie(c, names.passkey) };
    const result = await completeSecondFactorWithPasskey(deps, readCookie(c, names.secondFactor), input, requestContext(c));
    if (result.ok) return signedInJson(c, deps, result, { redirectTo: result.redirectTo });
    if (!RETRYABLE.has(result.code)) clearCookie(c, names, names.secondFactor);
    return jsonError(c, result.code);
  };

  return {
    secondFactorPage: secondFactorPageHandler,
    secondFactor: { json: secondFactorJson, form: secondFactorForm },
    secondFactorPasskey,
  };
}
