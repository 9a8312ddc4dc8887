// Two-factor (issue #5): the second step of sign-in (POST /auth/sign-in/totp
// and its page) and the account's TOTP settings (/auth/totp/*). Each endpoint
// answers JSON, or, for a form from the hosted pages, a page or a redirect.
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { errorStatus, type ErrorCode } from '../../core/errors.ts';
import { RECENT_SIGN_IN_SECONDS } from '../../core/policy.ts';
import { regenerateRecoveryCodes } from '../../core/recovery-codes.ts';
import { completeSecondFactor, findPendingSecondFactor } from '../../core/second-factor.ts';
import type { ValidSession } from '../../core/sessions.ts';
import {
  confirmEnrolment,
  disableTotp,
  formatSecret,
  normalizeTotpCode,
  pendingEnrolment,
  qrCodeSvg,
  setEmailSignInRequiresTotp,
  startEnrolment,
  totpStatus,
} from '../../core/totp.ts';
import { formatUtc } from '../../i18n/catalog.ts';
import { recoveryCodesPage } from '../../pages/recovery-codes-page.ts';
import { secondFactorPage } from '../../pages/second-factor-page.ts';
import type { TwoFactorView } from '../../pages/two-factor-section.ts';
import { clearCookie, readCookie } from '../cookies.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse, htmlError } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { isFormRequest, readBody, requestContext } from '../request.ts';
import { answerSignedIn, currentSession, refuseMalformedVerification } from './shared.ts';

const secondFactorBody = z
  .object({ code: z.string().max(32).optional(), recoveryCode: z.string().max(64).optional() })
  .refine((body) => (body.code === undefined) !== (body.recoveryCode === undefined), 'exactly one of code and recoveryCode');
const confirmBody = z.object({ code: z.string().max(32) });
/** A current TOTP code or a recovery code: JSON names which; a form's one field is told apart by its shape. */
const proofBody = z.object({ code: z.string().max(64).optional(), recoveryCode: z.string().max(64).optional() });
const settingsBody = proofBody.extend({
  emailSignInRequiresTotp: z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]),
});

/** Errors a settings form shows inline on the account page, by code (nothing else reaches the page). */
const INLINE_ERRORS = new Set<ErrorCode>([
  'totp_invalid',
  'totp_reused',
  'recovery_code_invalid',
  'reauthentication_required',
  'totp_already_enabled',
  'totp_not_enabled',
  'rate_limited',
  'invalid_request',
]);

function proofFrom(body: z.infer<typeof proofBody>, asForm: boolean): { code?: unknown; recoveryCode?: unknown } {
  if (body.recoveryCode !== undefined) return { recoveryCode: body.recoveryCode };
  if (asForm && body.code !== undefined && normalizeTotpCode(body.code) === null) return { recoveryCode: body.code };
  return { code: body.code };
}

/** The account page's two-factor section (routes/session.ts renders it). */
export async function twoFactorView(c: Context<AppEnv>, deps: HttpDeps, found: ValidSession): Promise<TwoFactorView> {
  const status = await totpStatus(deps, found.user.id);
  // Display only: the actions themselves ask the policy (and audit a refusal).
  const recent = deps.now() - found.session.authenticatedAt <= RECENT_SIGN_IN_SECONDS * 1000;
  const enrolment = status.enrolling && recent ? await pendingEnrolment(deps, found.user) : null;
  const asked = c.req.query('totp') as ErrorCode | undefined;
  const error = asked && INLINE_ERRORS.has(asked) ? pageContext(c, deps).t(`error.${asked}.message`) : null;
  return {
    enabled: status.enabled,
    enabledAt: status.enabledAt === null ? null : formatUtc(status.enabledAt),
    emailSignInRequiresTotp: status.emailSignInRequiresTotp,
    recoveryCodesLeft: status.recoveryCodesLeft,
    recent,
    enrolment: enrolment ? { secret: formatSecret(enrolment.secret), qrCodeSvg: await qrCodeSvg(enrolment.uri) } : null,
    error,
  };
}

export function twoFactorRoutes(app: Hono<AppEnv>, deps: HttpDeps): void {
  const names = deps.cookies;

  // The second step of sign-in.

  app.get('/auth/sign-in/totp', async (c) => {
    c.header('Cache-Control', 'no-store');
    const pending = await findPendingSecondFactor(deps, readCookie(c, names.secondFactor));
    if (!pending) return htmlError(c, deps, 'second_factor_expired');
    const method = c.req.query('method') === 'recovery' ? 'recovery' : 'totp';
    const expiresInSeconds = Math.max(1, Math.ceil((pending.expiresAt - deps.now()) / 1000));
    return c.html(secondFactorPage(pageContext(c, deps), { method, expiresInSeconds }));
  });

  app.post('/auth/sign-in/totp', async (c) => {
    const asForm = isFormRequest(c);
    const parsed = secondFactorBody.safeParse(await readBody(c));
    if (!parsed.success) return refuseMalformedVerification(c, deps, asForm);
    const pendingToken = readCookie(c, names.secondFactor);
    const result = await completeSecondFactor(deps, pendingToken, parsed.data, requestContext(c));
    if (result.ok) return answerSignedIn(c, deps, result, asForm);
    const retry = result.code === 'totp_invalid' || result.code === 'totp_reused' || result.code === 'recovery_code_invalid' || result.code === 'rate_limited';
    // Expired, used or locked: the cookie is worthless now; a wrong code may be retried.
    if (!retry) clearCookie(c, names, names.secondFactor);
    if (!asForm) return jsonError(c, result.code);
    if (retry) {
      const pending = await findPendingSecondFactor(deps, pendingToken);
      if (pending) {
        const page = pageContext(c, deps);
        c.header('Cache-Control', 'no-store');
        return c.html(
          secondFactorPage(page, {
            method: parsed.data.recoveryCode !== undefined ? 'recovery' : 'totp',
            expiresInSeconds: Math.max(1, Math.ceil((pending.expiresAt - deps.now()) / 1000)),
            error: page.t(`error.${result.code}.message`),
          }),
          errorStatus(result.code),
        );
      }
    }
    return htmlError(c, deps, result.code);
  });

  // The account's settings. JSON clients get the result; forms come back to the account page.

  async function signedIn(c: Context<AppEnv>): Promise<ValidSession | Response> {
    const found = await currentSession(c, deps);
    if (found) return found;
    return isFormRequest(c) ? c.redirect('/auth/sign-in?redirectTo=%2Fauth%2Faccount', 303) : jsonError(c, 'unauthenticated');
  }

  function backToAccount(c: Context<AppEnv>, error: ErrorCode | null): Response {
    c.header('Cache-Control', 'no-store');
    return c.redirect(error ? `/auth/account?totp=${error}#two-factor` : '/auth/account#two-factor', 303);
  }

  function refused(c: Context<AppEnv>, code: ErrorCode): Response | Promise<Response> {
    if (!isFormRequest(c)) return jsonError(c, code);
    return INLINE_ERRORS.has(code) ? backToAccount(c, code) : errorResponse(c, deps, code);
  }

  app.get('/auth/totp', async (c) => {
    c.header('Cache-Control', 'no-store');
    const found = await currentSession(c, deps);
    if (!found) return jsonError(c, 'unauthenticated');
    const status = await totpStatus(deps, found.user.id);
    return c.json({
      enabled: status.enabled,
      enabledAt: status.enabledAt === null ? null : new Date(status.enabledAt).toISOString(),
      enrolling: status.enrolling,
      emailSignInRequiresTotp: status.emailSignInRequiresTotp,
      recoveryCodesLeft: status.recoveryCodesLeft,
    });
  });

  app.post('/auth/totp/enrol', async (c) => {
    const found = await signedIn(c);
    if (found instanceof Response) return found;
    const asForm = isFormRequest(c);
    // No fields: whatever body came is not read.
    const result = await startEnrolment(deps, found.user, found.session, requestContext(c));
    if (!result.ok) return refused(c, result.code);
    if (asForm) return backToAccount(c, null);
    c.header('Cache-Control', 'no-store');
    return c.json({ secret: result.enrolment.secret, otpauthUri: result.enrolment.uri, qrCodeSvg: await qrCodeSvg(result.enrolment.uri) });
  });

  app.post('/auth/totp/confirm', async (c) => {
    const found = await signedIn(c);
    if (found instanceof Response) return found;
    const parsed = confirmBody.safeParse(await readBody(c));
    if (!parsed.success) return refused(c, 'invalid_request');
    const result = await confirmEnrolment(deps, found.user, found.session, parsed.data.code, requestContext(c));
    if (!result.ok) return refused(c, result.code);
    return recoveryCodesAnswer(c, result.recoveryCodes, 'enabled');
  });

  app.post('/auth/totp/recovery-codes', async (c) => {
    const found = await signedIn(c);
    if (found instanceof Response) return found;
    const result = await regenerateRecoveryCodes(deps, found.user, found.session, requestContext(c));
    if (!result.ok) return refused(c, result.code);
    return recoveryCodesAnswer(c, result.recoveryCodes, 'replaced');
  });

  app.post('/auth/totp/settings', async (c) => {
    const found = await signedIn(c);
    if (found instanceof Response) return found;
    const parsed = settingsBody.safeParse(await readBody(c));
    if (!parsed.success) return refused(c, 'invalid_request');
    const input = { value: parsed.data.emailSignInRequiresTotp, ...proofFrom(parsed.data, isFormRequest(c)) };
    const result = await setEmailSignInRequiresTotp(deps, found.user, found.session, input, requestContext(c));
    if (!result.ok) return refused(c, result.code);
    return isFormRequest(c) ? backToAccount(c, null) : c.body(null, 204);
  });

  app.post('/auth/totp/disable', async (c) => {
    const found = await signedIn(c);
    if (found instanceof Response) return found;
    const parsed = proofBody.safeParse(await readBody(c));
    if (!parsed.success) return refused(c, 'invalid_request');
    const result = await disableTotp(deps, found.user, found.session, proofFrom(parsed.data, isFormRequest(c)), requestContext(c));
    if (!result.ok) return refused(c, result.code);
    return isFormRequest(c) ? backToAccount(c, null) : c.body(null, 204);
  });

  function recoveryCodesAnswer(c: Context<AppEnv>, codes: string[], reason: 'enabled' | 'replaced'): Response | Promise<Response> {
    // Shown once: never cached, never stored in clear.
    c.header('Cache-Control', 'no-store');
    if (isFormRequest(c)) return c.html(recoveryCodesPage(pageContext(c, deps), { codes, reason }));
    return c.json({ recoveryCodes: codes });
  }
}
