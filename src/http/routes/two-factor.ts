// The account's TOTP settings (issue #5, /auth/totp/*): enrol, confirm, new
// recovery codes, whether email sign-in needs TOTP, turn it off. JSON clients
// get the result; a form from the account page comes back to it.
import type { Context } from 'hono';
import { z } from 'zod';
import type { ErrorCode } from '../../core/errors.ts';
import { RECENT_SIGN_IN_SECONDS } from '../../core/policy.ts';
import { regenerateRecoveryCodes } from '../../core/recovery-codes.ts';
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
import type { TwoFactorView } from '../../pages/two-factor-section.ts';
import { urlFor } from '../../route-table.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { readBody, requestContext } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { currentSession, withSession } from './shared.ts';

const confirmBody = z.object({ code: z.string().max(32) });
/** A current TOTP code or a recovery code: JSON names which; a form's one field is told apart by its shape. */
const proofBody = z.object({ code: z.string().max(64).optional(), recoveryCode: z.string().max(64).optional() });
const settingsBody = proofBody.extend({
  emailSignInRequiresTotp: z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]),
});
const MALFORMED = { ok: false, code: 'invalid_request' } as const;

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

type Proof = { code?: unknown; recoveryCode?: unknown };

function jsonProof(body: z.infer<typeof proofBody>): Proof {
  return body.recoveryCode !== undefined ? { recoveryCode: body.recoveryCode } : { code: body.code };
}

function formProof(body: z.infer<typeof proofBody>): Proof {
  if (body.recoveryCode === undefined && body.code !== undefined && normalizeTotpCode(body.code) === null) return { recoveryCode: body.code };
  return jsonProof(body);
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

export function twoFactorRoutes(deps: HttpDeps): Endpoints {

  function backToAccount(c: Context<AppEnv>, error: ErrorCode | null): Response {
    c.header('Cache-Control', 'no-store');
    return c.redirect(`${urlFor('account', undefined, { totp: error })}#two-factor`, 303);
  }

  function refusedForm(c: Context<AppEnv>, code: ErrorCode): Response | Promise<Response> {
    return INLINE_ERRORS.has(code) ? backToAccount(c, code) : errorResponse(c, deps, code);
  }

  /** New recovery codes: shown once, never cached, never stored in clear. */
  function recoveryCodesJson(c: Context<AppEnv>, codes: string[]): Response {
    c.header('Cache-Control', 'no-store');
    return c.json({ recoveryCodes: codes });
  }

  function recoveryCodesForm(c: Context<AppEnv>, codes: string[], reason: 'enabled' | 'replaced'): Response | Promise<Response> {
    c.header('Cache-Control', 'no-store');
    return c.html(recoveryCodesPage(pageContext(c, deps), { codes, reason }));
  }

  const totpStatusHandler: Handler = async (c) => {
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
  };

  // No fields: whatever body came is not read.
  const enrol = (c: Context<AppEnv>, found: ValidSession) => startEnrolment(deps, found.user, found.session, requestContext(c));

  async function confirm(c: Context<AppEnv>, found: ValidSession) {
    const parsed = confirmBody.safeParse(await readBody(c));
    if (!parsed.success) return MALFORMED;
    return confirmEnrolment(deps, found.user, found.session, parsed.data.code, requestContext(c));
  }

  const regenerate = (c: Context<AppEnv>, found: ValidSession) => regenerateRecoveryCodes(deps, found.user, found.session, requestContext(c));

  async function changeSetting(c: Context<AppEnv>, found: ValidSession, proofFrom: (body: z.infer<typeof proofBody>) => Proof) {
    const parsed = settingsBody.safeParse(await readBody(c));
    if (!parsed.success) return MALFORMED;
    const input = { value: parsed.data.emailSignInRequiresTotp, ...proofFrom(parsed.data) };
    return setEmailSignInRequiresTotp(deps, found.user, found.session, input, requestContext(c));
  }

  async function disable(c: Context<AppEnv>, found: ValidSession, proofFrom: (body: z.infer<typeof proofBody>) => Proof) {
    const parsed = proofBody.safeParse(await readBody(c));
    if (!parsed.success) return MALFORMED;
    return disableTotp(deps, found.user, found.session, proofFrom(parsed.data), requestContext(c));
  }

  return {
    totpStatus: totpStatusHandler,
    totpEnrol: withSession(deps, {
      json: async (c, found) => {
        const result = await enrol(c, found);
        if (!result.ok) return jsonError(c, result.code);
        c.header('Cache-Control', 'no-store');
        return c.json({ secret: result.enrolment.secret, otpauthUri: result.enrolment.uri, qrCodeSvg: await qrCodeSvg(result.enrolment.uri) });
      },
      form: async (c, found) => {
        const result = await enrol(c, found);
        return result.ok ? backToAccount(c, null) : refusedForm(c, result.code);
      },
    }),
    totpConfirm: withSession(deps, {
      json: async (c, found) => {
        const result = await confirm(c, found);
        return result.ok ? recoveryCodesJson(c, result.recoveryCodes) : jsonError(c, result.code);
      },
      form: async (c, found) => {
        const result = await confirm(c, found);
        return result.ok ? recoveryCodesForm(c, result.recoveryCodes, 'enabled') : refusedForm(c, result.code);
      },
    }),
    totpRecoveryCodes: withSession(deps, {
      json: async (c, found) => {
        const result = await regenerate(c, found);
        return result.ok ? recoveryCodesJson(c, result.recoveryCodes) : jsonError(c, result.code);
      },
      form: async (c, found) => {
        const result = await regenerate(c, found);
        return result.ok ? recoveryCodesForm(c, result.recoveryCodes, 'replaced') : refusedForm(c, result.code);
      },
    }),
    totpSettings: withSession(deps, {
      json: async (c, found) => {
        const result = await changeSetting(c, found, jsonProof);
        return result.ok ? c.body(null, 204) : jsonError(c, result.code);
      },
      form: async (c, found) => {
        const result = await changeSetting(c, found, formProof);
        return result.ok ? backToAccount(c, null) : refusedForm(c, result.code);
      },
    }),
    totpDisable: withSession(deps, {
      json: async (c, found) => {
        const result = await disable(c, found, jsonProof);
        return result.ok ? c.body(null, 204) : jsonError(c, result.code);
      },
      form: async (c, found) => {
        const result = await disable(c, found, formProof);
        return result.ok ? backToAccount(c, null) : refusedForm(c, result.code);
      },
    }),
  };
}
