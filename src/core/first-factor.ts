// The end of every sign-in. Each first factor (email link, email code, approval
// on another device, password, password reset) is verified in its own module and
// ends here: a session, the second-factor step for an account with TOTP on, or a
// refusal with its audit event. Kept apart from the email flow (sign-in.ts) so
// cross-device approval and the password flows end a sign-in without importing
// the flow that starts one (issue #13: no run-time import cycle).

import { auditEvent, type AuditEvent, type RequestContext } from './audit.ts';
import type { ErrorCode } from './errors.ts';
import { checkRedirect } from './redirects.ts';
import { requireSecondFactor, type SecondFactorRequired } from './second-factor.ts';
import { newSession } from './sessions.ts';
import { FIRST_FACTOR_AMR, type AuthMethod, type FirstFactorKind, type Session, type TokenRecord, type User } from './types.ts';
import type { Context } from '../context.ts';

export type { SecondFactorRequired } from './second-factor.ts';

/** What ending a sign-in uses: every first factor's context includes it. */
export type FirstFactorContext = Pick<Context, 'store' | 'policy' | 'redirects' | 'sessions' | 'signup' | 'random'>;

export interface SignedIn {
  ok: true;
  status: 'signed_in';
  user: User;
  session: Session;
  /** The cookie value: returned once, never stored or logged. */
  sessionToken: string;
  redirectTo: string;
  createdUser: boolean;
}

/** A verified first factor either signs in or, for an account with TOTP on, asks for the second factor. */
export type VerifyOutcome = SignedIn | SecondFactorRequired | { ok: false; code: ErrorCode };

/** A first factor that has been verified: who, by what, and where to go next. */
export interface VerifiedFirstFactor {
  kind: FirstFactorKind;
  /** Canonical address: the one the email token went to, or the account's (password). */
  email: string;
  /** The account, when known; null: found by address, or created (email factors, open signup). */
  userId: string | null;
  /** As asked for; checked against the redirect policy here. */
  redirectTo: string | null;
  /** The first factor's own events (e.g. token.consumed), committed with the session or the pending step. */
  events: AuditEvent[];
  /** The session's methods when the factor knows better than FIRST_FACTOR_AMR (a passkey: hwk or swk, and user). */
  amr?: AuthMethod[];
}

export function emailFactor(kind: 'link' | 'code', record: TokenRecord, context: RequestContext, now: number): VerifiedFirstFactor {
  return {
    kind,
    email: record.email,
    userId: record.userId,
    redirectTo: record.redirectTo,
    events: [auditEvent(context, { type: 'token.consumed', outcome: 'success', reason: 'sign_in', at: now, userId: record.userId, email: record.email })],
  };
}

/**
 * The one seam between a verified first factor and a session; every first
 * factor (email link, email code, password) ends here. An account with TOTP on
 * gets a pending second factor instead of a session: always after a password,
 * and after an email factor unless the account chose that email alone suffices.
 * A full sign-in resets the account's failure count (policy); a pending one
 * does not, so first-factor successes cannot wash out failed TOTP guesses.
 */
export async function finishFirstFactor(
  ctx: FirstFactorContext,
  factor: VerifiedFirstFactor,
  context: RequestContext,
  now: number,
): Promise<VerifyOutcome> {
  const userId = factor.userId ?? (await ctx.store.findUserByEmail(factor.email))?.id ?? null;
  const totp = userId === null ? null : await ctx.store.getTotp(userId);
  // A passkey is possession and user verification in one (NIST SP 800-63B-4 §3.1.7): no TOTP after it.
  const asksTotp = factor.kind === 'password' || (factor.kind !== 'passkey' && totp?.emailSignInRequiresTotp === true);
  // Issue #17: the account may have email sign-in ask for a passkey too (completed by a passkey sign-in, or TOTP when on).
  const asksPasskey = (factor.kind === 'link' || factor.kind === 'code') && userId !== null && (await requiresPasskey(ctx, userId));
  if (userId !== null && ((totp !== null && totp.enabledAt !== null && asksTotp) || asksPasskey)) {
    // Checked now and again when the step completes (the allowlist may change meanwhile).
    const redirectTo = checkRedirect(factor.redirectTo, ctx.redirects) ?? ctx.redirects.defaultPath;
    return requireSecondFactor(ctx, { userId, email: factor.email, firstFactor: factor.kind, redirectTo, events: factor.events }, context, now);
  }
  const outcome = await completeSignIn(ctx, factor, context, now);
  if (outcome.ok) await ctx.policy.recordSuccess(factor.email, factor.kind);
  return outcome;
}

async function requiresPasskey(ctx: Pick<FirstFactorContext, 'store'>, userId: string): Promise<boolean> {
  const settings = await ctx.store.getPasskeySettings(userId);
  return settings.emailSignInRequiresPasskey && settings.passkeys > 0;
}

/** A refused link or code: the audit event, and the public code. */
export async function rejectToken(
  ctx: Pick<Context, 'store'>,
  type: 'token.rejected' | 'code.failed',
  code: ErrorCode,
  record: TokenRecord | null,
  context: RequestContext,
  now: number,
  email?: string,
): Promise<VerifyOutcome> {
  await ctx.store.appendAudit([
    auditEvent(context, { type, outcome: 'failure', reason: code, at: now, userId: record?.userId, email: record?.email ?? email }),
  ]);
  return { ok: false, code };
}

async function completeSignIn(
  ctx: Omit<FirstFactorContext, 'policy'>,
  factor: VerifiedFirstFactor,
  context: RequestContext,
  now: number,
): Promise<VerifyOutcome> {
  const { token, record: sessionRecord } = newSession(ctx, now, context, factor.amr ?? [FIRST_FACTOR_AMR[factor.kind]]);
  const event = (type: AuditEvent['type'], reason: string | null = null) =>
    auditEvent(context, { type, outcome: 'success', reason, at: now, userId: factor.userId, email: factor.email });
  const signedIn = await ctx.store.signIn({
    email: factor.email,
    userId: factor.userId,
    // Only an email factor may create an account (or prove its address).
    allowSignup: ctx.signup === 'open' && (factor.kind === 'link' || factor.kind === 'code'),
    newUserId: ctx.random.uuid(),
    now,
    session: sessionRecord,
    events: [...factor.events, event('session.created'), event('sign_in.succeeded', factor.kind)],
    // Recorded in the transaction that creates the account (an audit event never trails its change).
    createdUserEvent: event('user.created'),
    emailProven: factor.kind === 'link' || factor.kind === 'code',
  });
  if (!signedIn) {
    // Only a closed-signup decoy token gets here, and its code was never mailed.
    await ctx.store.appendAudit([
      auditEvent(context, { type: 'token.rejected', outcome: 'failure', reason: 'token_invalid', at: now, userId: factor.userId, email: factor.email }),
    ]);
    return { ok: false, code: 'token_invalid' };
  }
  return {
    ok: true,
    status: 'signed_in',
    user: signedIn.user,
    session: signedIn.session,
    sessionToken: token,
    // Checked again at use: the allowlist may have changed since the link was issued.
    redirectTo: checkRedirect(factor.redirectTo, ctx.redirects) ?? ctx.redirects.defaultPath,
    createdUser: signedIn.createdUser,
  };
}
