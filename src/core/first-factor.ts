// The end of every sign-in. Each first factor (email link, email code, approval
// on another device, password, password reset) is verified in its own module and
// ends here: a session, the second-factor step for an account that asks for one, or a
// refusal with its audit event. Kept apart from the email flow (sign-in.ts) so
// cross-device approval and the password flows end a sign-in without importing
// the flow that starts one (issue #13: no run-time import cycle).

import { auditEvent, type AuditEvent, type RequestContext } from './audit.ts';
import type { ErrorCode } from './errors.ts';
import { checkRedirect } from './redirects.ts';
import { requireSecondFactor, type SecondFactorRequired } from './second-factor.ts';
import { newSession } from './sessions.ts';
import { needsSecondFactor, NO_REQUIREMENTS } from './sign-in-requirements.ts';
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

/** A verified first factor either signs in or, for an account that asks for more, asks for the second factor. */
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
 * factor (email link, email code, cross-device approval, password, password
 * reset, passkey) ends here. An account that asks for more gets a pending
 * second factor instead of a session (the rule: sign-in-requirements.ts).
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
  // One read for every decision (issue #13); an account about to be created asks nothing.
  const requirements = userId === null ? NO_REQUIREMENTS : await ctx.store.getSignInRequirements(userId);
  if (userId !== null && needsSecondFactor(requirements, factor.kind)) {
    // Checked now and again when the step completes (the allowlist may change meanwhile).
    const redirectTo = checkRedirect(factor.redirectTo, ctx.redirects) ?? ctx.redirects.defaultPath;
    return requireSecondFactor(ctx, { userId, email: factor.email, firstFactor: factor.kind, redirectTo, events: factor.events }, context, now);
  }
  const outcome = await completeSignIn(ctx, factor, context, now);
  if (outcome.ok) await ctx.policy.recordSuccess(factor.email, factor.kind);
  return outcome;
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
