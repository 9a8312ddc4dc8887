// The second-factor step of sign-in. When a verified first factor needs a
// second one (first-factor.ts, finishFirstFactor), no session is issued: the browser
// gets a pending state instead, a random cookie value (only its SHA-256 stored)
// bound to the account and the first factor, alive 5 minutes and good for five
// attempts. A TOTP code, a recovery code or a passkey of the account (issue #17,
// passkey-second-factor.ts) then completes it: the pending row is deleted, the
// proof spent and the session created in one transaction.

import { auditEvent, type AuditEvent, type RequestContext } from './audit.ts';
import { sha256 } from './crypto.ts';
import type { ErrorCode } from './errors.ts';
import { hashRecoveryCode, normalizeRecoveryCode } from './recovery-codes.ts';
import { checkRedirect } from './redirects.ts';
import { newSession } from './sessions.ts';
import type { SignedIn } from './first-factor.ts';
import { matchTotpCode, normalizeTotpCode, unsealTotpSecret } from './totp.ts';
import { FIRST_FACTOR_AMR, type AuthMethod, type FirstFactorKind } from './types.ts';
import type { PendingSecondFactor, SecondFactorProof } from '../store/store.ts';
import type { Context } from '../context.ts';

/** ≤ 5 minutes: long enough to find the phone, short enough that an abandoned step dies soon. */
export const PENDING_SECOND_FACTOR_TTL_SECONDS = 300;
/** Wrong codes per pending step; then the first factor must be repeated. */
export const MAX_SECOND_FACTOR_ATTEMPTS = 5;
const PENDING_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface SecondFactorRequired {
  ok: true;
  status: 'second_factor_required';
  userId: string;
  /** The pending-state cookie value: returned once, never stored or logged. */
  pendingToken: string;
  expiresAt: number;
}

export interface RequireSecondFactorInput {
  userId: string;
  email: string;
  firstFactor: FirstFactorKind;
  /** Already checked against the redirect policy. */
  redirectTo: string;
  /** The first factor's own events (token.consumed…), committed with the pending row. */
  events: AuditEvent[];
  /** A password reset held until the second factor passes (issue #12 finding 4): the new PHC string. */
  passwordHash?: string;
}

export async function requireSecondFactor(
  ctx: Pick<Context, 'store' | 'random'>,
  input: RequireSecondFactorInput,
  context: RequestContext,
  now: number,
): Promise<SecondFactorRequired> {
  const pendingToken = ctx.random.token(32);
  const expiresAt = now + PENDING_SECOND_FACTOR_TTL_SECONDS * 1000;
  const pending: PendingSecondFactor = {
    tokenHash: sha256(pendingToken),
    userId: input.userId,
    email: input.email,
    firstFactor: input.firstFactor,
    redirectTo: input.redirectTo,
    createdAt: now,
    expiresAt,
    attempts: 0,
    passwordHash: input.passwordHash ?? null,
  };
  const event = auditEvent(context, {
    type: 'second_factor.required',
    outcome: 'info',
    reason: input.firstFactor,
    at: now,
    userId: input.userId,
    email: input.email,
  });
  await ctx.store.createPendingSecondFactor(pending, [...input.events, event]);
  return { ok: true, status: 'second_factor_required', userId: input.userId, pendingToken, expiresAt };
}

/** The live pending state of this cookie value, or null (unknown, expired, used). */
export async function findPendingSecondFactor(ctx: Pick<Context, 'store' | 'now'>, pendingToken: string | null | undefined) {
  if (!pendingToken || !PENDING_TOKEN.test(pendingToken)) return null;
  const pending = await ctx.store.findPendingSecondFactor(sha256(pendingToken));
  return pending && pending.expiresAt > ctx.now() ? pending : null;
}

export type SecondFactorContext = Pick<Context, 'store' | 'now' | 'random' | 'policy' | 'sessions' | 'redirects' | 'twoFactor' | 'securityNotices'>;

export interface SecondFactorInput {
  /** A 6-digit TOTP code. */
  code?: unknown;
  /** One of the account's recovery codes. */
  recoveryCode?: unknown;
}

/** POST /auth/sign-in/totp: the pending state plus a TOTP or recovery code gives the session. */
export async function completeSecondFactor(
  ctx: SecondFactorContext,
  pendingToken: string | null | undefined,
  input: SecondFactorInput,
  context: RequestContext,
): Promise<SignedIn | { ok: false; code: ErrorCode }> {
  const pending = await findPendingSecondFactor(ctx, pendingToken);
  if (!pending) return { ok: false, code: 'second_factor_expired' };
  const verifier = input.recoveryCode !== undefined ? 'recovery_code' : 'totp';
  // After a proven first factor: the per-IP bucket and this step's own cap, not the account's delay (issue #12 finding 2).
  if (!(await ctx.policy.checkVerify({ verifier, account: pending.email, after: pending.firstFactor }, context)).allow) {
    return { ok: false, code: 'rate_limited' };
  }
  const now = ctx.now();
  // Counted before comparing, so parallel guesses cannot exceed the cap.
  const attempts = await ctx.store.reserveSecondFactorAttempt(pending.tokenHash, MAX_SECOND_FACTOR_ATTEMPTS, now);
  if (attempts === null) return { ok: false, code: 'second_factor_locked' };

  const fail = async (code: ErrorCode): Promise<{ ok: false; code: ErrorCode }> => {
    await ctx.policy.recordFailure(pending.email, verifier, context, pending.firstFactor);
    await ctx.store.appendAudit([
      auditEvent(context, {
        type: verifier === 'totp' ? 'totp.failed' : 'recovery_code.failed',
        outcome: 'failure',
        reason: code,
        at: now,
        userId: pending.userId,
        email: pending.email,
      }),
    ]);
    return { ok: false, code: attempts >= MAX_SECOND_FACTOR_ATTEMPTS ? 'second_factor_locked' : code };
  };

  let proof: SecondFactorProof;
  if (verifier === 'recovery_code') {
    const normalized = normalizeRecoveryCode(input.recoveryCode);
    if (normalized === null) return fail('recovery_code_invalid');
    proof = { recoveryCodeHash: hashRecoveryCode(ctx.twoFactor.recoveryCodeKey, pending.userId, normalized) };
  } else {
    const totp = await ctx.store.getTotp(pending.userId);
    // Switched off since the first factor: this step is over (sign in again without it).
    if (!totp || totp.enabledAt === null) return { ok: false, code: 'second_factor_expired' };
    const code = normalizeTotpCode(input.code);
    const step = code === null ? null : matchTotpCode(unsealTotpSecret(ctx.twoFactor.totpKey, pending.userId, totp.secretSealed), code, now);
    if (step === null) return fail('totp_invalid');
    proof = { totpStep: step };
  }

  const result = await finishPendingStep(
    ctx,
    pending,
    { proof, verifier, amr: [FIRST_FACTOR_AMR[pending.firstFactor], 'otp'] },
    context,
    now,
  );
  if (result.ok) return result;
  if (result.reason === 'pending_gone') return { ok: false, code: 'second_factor_expired' };
  return fail(verifier === 'totp' ? 'totp_reused' : 'recovery_code_invalid');
}

export interface PendingStepProof {
  proof: SecondFactorProof;
  verifier: 'totp' | 'recovery_code' | 'passkey';
  /** The session's methods (RFC 8176): the first factor's and the second's. */
  amr: AuthMethod[];
}

/**
 * The end of the step, whatever completed it (a TOTP code, a recovery code, or a
 * passkey of the account: core/passkey-second-factor.ts): in one transaction
 * the pending row is consumed, the proof spent, a held password reset applied
 * and the session created; then the notices.
 */
export async function finishPendingStep(
  ctx: SecondFactorContext,
  pending: PendingSecondFactor,
  finish: PendingStepProof,
  context: RequestContext,
  now: number,
): Promise<SignedIn | { ok: false; reason: 'pending_gone' | 'proof_refused' }> {
  const { verifier } = finish;
  const { token, record } = newSession(ctx, now, context, finish.amr);
  const event = (type: AuditEvent['type'], reason: string | null = null) =>
    auditEvent(context, { type, outcome: 'success', reason, at: now, userId: pending.userId, email: pending.email });
  // A held password reset is applied by the same transaction (issue #12 finding 4).
  const reset = pending.passwordHash ? [event('password.set', 'reset'), event('session.revoked', 'password_reset')] : [];
  const result = await ctx.store.completeSecondFactor({
    tokenHash: pending.tokenHash,
    proof: finish.proof,
    now,
    session: record,
    verifiedEmail: pending.firstFactor === 'password' ? null : pending.email,
    events: [
      ...(verifier === 'recovery_code' ? [event('recovery_code.used')] : []),
      ...reset,
      event('session.created'),
      event('sign_in.succeeded', `${pending.firstFactor}+${verifier}`),
    ],
  });
  if (!result.ok) return result;
  await ctx.policy.recordSuccess(pending.email, verifier, pending.firstFactor);
  if (verifier === 'recovery_code') await ctx.securityNotices({ id: result.user.id, email: result.user.email }, 'recovery_code_used', context);
  if (reset.length) await ctx.securityNotices({ id: result.user.id, email: result.user.email }, 'password_reset', context);
  return {
    ok: true,
    status: 'signed_in',
    user: result.user,
    session: result.session,
    sessionToken: token,
    // Checked again at use: the allowlist may have changed since the first factor.
    redirectTo: checkRedirect(pending.redirectTo, ctx.redirects) ?? ctx.redirects.defaultPath,
    createdUser: false,
  };
}
