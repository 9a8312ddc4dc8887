// Password reset: the email sign-in flow with a different ending. The request
// issues a `password_reset` token through the one token engine (link + code,
// LATCHKEY_PASSWORD_RESET_TTL) and answers the same whatever the address; the
// reset consumes it (link, or address + code), sets the new password, signs out
// every session, retires every outstanding token, tells the address, and then
// ends like any first factor. An account with a second factor in force (TOTP,
// or the passkey setting) changes nothing yet: the new password waits in the
// second-factor step and is set when it passes (issue #12 finding 4, issue #17).
// An account without a password gets its first one this way.

import { mailEnvelope, tokenLink, type AccountMailContext } from './account.ts';
import { auditEvent, type RequestContext } from './audit.ts';
import { canonicalizeEmail } from './email.ts';
import { admitMailRequest } from './mail-request.ts';
import { checkNewPassword, passwordNotice, type NewPasswordCheck } from './passwords.ts';
import { checkRedirect } from './redirects.ts';
import { requireSecondFactor } from './second-factor.ts';
import { needsSecondFactor } from './sign-in-requirements.ts';
import { finishFirstFactor, type FirstFactorContext, type VerifyOutcome } from './first-factor.ts';
import { tokenErrorCode, type VerifyResult } from './tokens.ts';
import type { Context } from '../context.ts';

/** A reset ends like any first factor, after hashing the new password. */
type ResetContext = FirstFactorContext & AccountMailContext & Pick<Context, 'passwords'>;

export interface PasswordResetRequest {
  email: unknown;
  redirectTo?: unknown;
  /** The language of the page that asked; the mail is written in it. */
  locale?: string | null;
}

export type RequestPasswordResetResult = { ok: true; email: string } | { ok: false; code: 'invalid_email' | 'rate_limited' };

/** POST /auth/password/forgot: 202 whether or not the address has an account (the policy's per-address caps are silent too). */
export async function requestPasswordReset(
  ctx: AccountMailContext,
  request: PasswordResetRequest,
  context: RequestContext,
): Promise<RequestPasswordResetResult> {
  const admitted = await admitMailRequest(ctx, request.email, 'password_reset', context);
  if (!admitted.ok) return admitted;
  if (admitted.throttled) return { ok: true, email: admitted.email };
  const { email, user, now } = admitted;
  const redirect = await ctx.policy.checkRedirect(request.redirectTo, context);
  // Unknown and disabled addresses still record a token that is never mailed: limits and timing look alike.
  const mailable = user !== null && !user.disabled;
  const event = auditEvent(context, {
    type: 'password_reset.requested',
    outcome: mailable ? 'success' : 'failure',
    reason: mailable ? null : user ? 'account_disabled' : 'unknown_account',
    at: now,
    userId: user?.id ?? null,
    email,
  });
  await ctx.tokens.issue(
    {
      purpose: 'password_reset',
      email,
      userId: user?.id ?? null,
      flowHash: null,
      redirectTo: redirect.target,
      requestIp: context.ip,
      requestUserAgent: context.userAgent?.slice(0, 512) ?? null,
      mail: ({ token, code }) =>
        mailable
          ? ctx.composeAccountMail(
              { kind: 'password_reset', link: tokenLink(ctx.baseUrl, 'passwordResetPage', token), code, expiresInSeconds: ctx.tokens.ttlSeconds('password_reset') },
              mailEnvelope(email, now, context, request.locale ?? null),
            )
          : null,
      events: [event],
    },
    now,
  );
  if (mailable) ctx.mailQueued();
  return { ok: true, email };
}

export interface PasswordResetInput {
  /** The link's token, or… */
  token?: unknown;
  /** …the address and the 6-digit code from the same email. */
  email?: unknown;
  code?: unknown;
  password: unknown;
  locale?: string | null;
}

/** POST /auth/password/reset. */
export async function resetPassword(ctx: ResetContext, input: PasswordResetInput, context: RequestContext): Promise<VerifyOutcome> {
  // The new password is checked first: a refused one does not use up the link.
  const rule = checkNewPassword(input.password);
  if (!rule.ok) return rule;
  // The Argon2id slot is taken before the token is spent: a busy server must not use up the link (issue #12 finding 5).
  const slot = await ctx.policy.acquirePasswordHash(context);
  if (!slot.decision.allow) return { ok: false, code: 'rate_limited' };
  try {
    return await consumeAndReset(ctx, input, rule, context);
  } finally {
    slot.release();
  }
}

async function consumeAndReset(
  ctx: ResetContext,
  input: PasswordResetInput,
  rule: Extract<NewPasswordCheck, { ok: true }>,
  context: RequestContext,
): Promise<VerifyOutcome> {
  let result: VerifyResult;
  let account: string | null = null;
  if (typeof input.token === 'string') {
    if (!(await ctx.policy.checkVerify({ verifier: 'link', account: null }, context)).allow) return { ok: false, code: 'rate_limited' };
    result = await ctx.tokens.consumeLink(input.token, 'password_reset', ctx.now());
  } else {
    const canonical = canonicalizeEmail(input.email);
    if (!canonical.ok) return { ok: false, code: (await ctx.policy.checkRefusedVerification(context)).allow ? 'invalid_email' : 'rate_limited' };
    account = canonical.email;
    if (!(await ctx.policy.checkVerify({ verifier: 'code', account }, context)).allow) return { ok: false, code: 'rate_limited' };
    const code = typeof input.code === 'string' ? input.code.replace(/[\s-]/g, '') : '';
    result = await ctx.tokens.consumeCode(account, code, 'password_reset', ctx.now());
    if (!result.ok && result.guessed) await ctx.policy.recordFailure(account, 'code', context);
  }
  const now = ctx.now();
  const record = result.record;
  // A token issued for an unknown or disabled address was never mailed: nobody can hold it legitimately.
  if (!result.ok || record === null || record.userId === null) {
    const code = result.ok ? 'token_invalid' : tokenErrorCode(result.reason);
    await ctx.store.appendAudit([
      auditEvent(context, {
        type: account !== null && !result.ok ? 'code.failed' : 'token.rejected',
        outcome: 'failure',
        reason: code,
        at: now,
        userId: record?.userId,
        email: record?.email ?? account,
      }),
    ]);
    return { ok: false, code };
  }
  const passwordHash = await ctx.passwords.hash(rule.password);
  const event = (type: 'token.consumed' | 'password.set' | 'session.revoked', reason: string) =>
    auditEvent(context, { type, outcome: 'success', reason, at: now, userId: record.userId, email: record.email });
  // When a password sign-in would ask for a second factor (TOTP on, or the passkey setting: issue #17 F1),
  // the mailbox alone must change nothing (issue #12 finding 4): the new password waits in the
  // second-factor step, and is set (every session revoked) only when a TOTP code or a passkey completes it.
  if (needsSecondFactor(await ctx.store.getSignInRequirements(record.userId), 'password')) {
    const redirectTo = checkRedirect(record.redirectTo, ctx.redirects) ?? ctx.redirects.defaultPath;
    return requireSecondFactor(
      ctx,
      { userId: record.userId, email: record.email, firstFactor: account === null ? 'link' : 'code', redirectTo, events: [event('token.consumed', 'password_reset')], passwordHash },
      context,
      now,
    );
  }
  const user = await ctx.store.setPassword({
    userId: record.userId,
    passwordHash,
    now,
    keepSessionId: null,
    // The reset proved the address, like any email token.
    verifiedEmail: record.email,
    mail: await passwordNotice(ctx, record.email, 'reset', { at: now, locale: input.locale ?? null }, context),
    events: [event('token.consumed', 'password_reset'), event('password.set', 'reset'), event('session.revoked', 'password_reset')],
  });
  if (!user) {
    await ctx.store.appendAudit([
      auditEvent(context, { type: 'token.rejected', outcome: 'failure', reason: 'account_disabled', at: now, userId: record.userId, email: record.email }),
    ]);
    return { ok: false, code: 'token_invalid' };
  }
  ctx.mailQueued();
  // The new password is the first factor now: an account with TOTP on must still give its second factor.
  return finishFirstFactor(ctx, { kind: 'password', email: user.email, userId: user.id, redirectTo: record.redirectTo, events: [] }, context, now);
}
