// Step-up, "confirm it's you" (issues #16/#17): a signed-in session whose
// sign-in passed no second factor (amr ["email"]: TOTP not asked at email
// sign-in, or a link used before a passkey was added) proves one now, without
// signing out, so a forward-auth rule with `secondFactor: true` lets it pass.
//
// It is the sign-in's second-factor step, bound to the session instead of a
// pending-sign-in cookie: the same pending row (store logic/second-factor.ts),
// keyed by a hash of the session id, alive 5 minutes with its cap of five
// attempts; the same TOTP replay guard (the step is spent in the transaction);
// and the account's 'session' delay on top (policy.ts delayScope), since a
// session holder could otherwise start a fresh step every five minutes.
// Success rotates the session (OWASP: new id on any privilege change): one
// transaction revokes the old session, spends the proof and creates the new
// one, whose amr adds the method and whose absolute expiry is no later than
// the old one's.

import { auditEvent, type AuditEvent, type RequestContext } from './audit.ts';
import { sha256 } from './crypto.ts';
import type { ErrorCode } from './errors.ts';
import type { SignedIn } from './first-factor.ts';
import { hashRecoveryCode, normalizeRecoveryCode } from './recovery-codes.ts';
import { MAX_SECOND_FACTOR_ATTEMPTS, PENDING_SECOND_FACTOR_TTL_SECONDS, type SecondFactorContext, type SecondFactorInput } from './second-factor.ts';
import { newSession, type ValidSession } from './sessions.ts';
import { matchTotpCode, normalizeTotpCode, unsealTotpSecret } from './totp.ts';
import type { AuthMethod } from './types.ts';
import type { PendingSecondFactor, SecondFactorProof } from '../store/store.ts';
import type { Context } from '../context.ts';

/** The sign-in step's context, and the metrics (a step-up is counted by its method). */
export type StepUpContext = SecondFactorContext & Pick<Context, 'metrics'>;

export type StepUpFailure = { ok: false; code: ErrorCode };
export type StepUpVerifier = 'totp' | 'recovery_code' | 'passkey';

/**
 * The step's key: never a cookie value (it has a ':'), so the sign-in step's
 * endpoints, which hash a 43-character cookie, can never find it.
 */
const stepKey = (sessionId: string) => sha256(`step-up:${sessionId}`);

/** What can confirm this account: the code form (TOTP on), the passkey button (a passkey, and passkeys enabled here). */
export async function stepUpMethods(ctx: Pick<SecondFactorContext, 'store'> & { passkeys: unknown }, userId: string) {
  const requirements = await ctx.store.getSignInRequirements(userId);
  return { totp: requirements.totpEnabled, passkey: ctx.passkeys !== null && requirements.passkeys > 0 };
}

/** The session's live step, or a new one (the expired one swept by the insert). */
async function stepOf(ctx: Pick<SecondFactorContext, 'store'>, found: ValidSession, now: number): Promise<PendingSecondFactor> {
  const tokenHash = stepKey(found.session.id);
  const live = await ctx.store.findPendingSecondFactor(tokenHash);
  if (live && live.expiresAt > now) return live;
  const step: PendingSecondFactor = {
    tokenHash,
    userId: found.user.id,
    email: found.user.email,
    // The row's first factor is only a label here (the amr comes from the session).
    firstFactor: found.session.amr.includes('pwd') ? 'password' : 'link',
    redirectTo: null,
    createdAt: now,
    expiresAt: now + PENDING_SECOND_FACTOR_TTL_SECONDS * 1000,
    attempts: 0,
    passwordHash: null,
  };
  try {
    await ctx.store.createPendingSecondFactor(step, []);
  } catch (error) {
    // A parallel request of the same session created it first (same key).
    const raced = await ctx.store.findPendingSecondFactor(tokenHash);
    if (raced) return raced;
    throw error;
  }
  return step;
}

/**
 * Counts one attempt on the session's step before any secret is compared (so
 * parallel guesses cannot exceed the cap): the step, or a failure to answer.
 */
export async function reserveStepUpAttempt(
  ctx: Pick<SecondFactorContext, 'store' | 'now'>,
  found: ValidSession,
): Promise<{ ok: true; step: PendingSecondFactor; attempts: number; now: number } | StepUpFailure> {
  const now = ctx.now();
  const step = await stepOf(ctx, found, now);
  const attempts = await ctx.store.reserveSecondFactorAttempt(step.tokenHash, MAX_SECOND_FACTOR_ATTEMPTS, now);
  return attempts === null ? { ok: false, code: 'second_factor_locked' } : { ok: true, step, attempts, now };
}

/** POST /auth/step-up: a TOTP or recovery code of the session's account. */
export async function stepUpWithCode(
  ctx: StepUpContext,
  found: ValidSession,
  input: SecondFactorInput,
  redirectTo: string,
  context: RequestContext,
): Promise<SignedIn | StepUpFailure> {
  const { user } = found;
  const verifier = input.recoveryCode !== undefined ? 'recovery_code' : 'totp';
  // The per-IP bucket and the account's 'session' delay (no `after`: this is not a sign-in's step).
  if (!(await ctx.policy.checkVerify({ verifier, account: user.email }, context)).allow) return { ok: false, code: 'rate_limited' };
  const totp = await ctx.store.getTotp(user.id);
  if (!totp || totp.enabledAt === null) return { ok: false, code: 'totp_not_enabled' };
  const reserved = await reserveStepUpAttempt(ctx, found);
  if (!reserved.ok) return reserved;
  const { step, attempts, now } = reserved;

  const fail = async (code: ErrorCode): Promise<StepUpFailure> => {
    await ctx.policy.recordFailure(user.email, verifier, context);
    const type = verifier === 'totp' ? 'totp.failed' : 'recovery_code.failed';
    await ctx.store.appendAudit([auditEvent(context, { type, outcome: 'failure', reason: code, at: now, userId: user.id, email: user.email })]);
    return { ok: false, code: attempts >= MAX_SECOND_FACTOR_ATTEMPTS ? 'second_factor_locked' : code };
  };

  let proof: SecondFactorProof;
  if (verifier === 'recovery_code') {
    const normalized = normalizeRecoveryCode(input.recoveryCode);
    if (normalized === null) return fail('recovery_code_invalid');
    proof = { recoveryCodeHash: hashRecoveryCode(ctx.twoFactor.recoveryCodeKey, user.id, normalized) };
  } else {
    const code = normalizeTotpCode(input.code);
    const matched = code === null ? null : matchTotpCode(unsealTotpSecret(ctx.twoFactor.totpKey, user.id, totp.secretSealed), code, now);
    if (matched === null) return fail('totp_invalid');
    proof = { totpStep: matched };
  }
  const result = await finishStepUp(ctx, found, { step, proof, verifier, amr: ['otp'], redirectTo }, context, now);
  if (result.ok) return result;
  if (result.code !== 'proof_refused') return { ok: false, code: result.code };
  return fail(verifier === 'totp' ? 'totp_reused' : 'recovery_code_invalid');
}

export interface StepUpFinish {
  step: PendingSecondFactor;
  proof: SecondFactorProof;
  verifier: StepUpVerifier;
  /** The methods the proof adds to the session's (RFC 8176). */
  amr: AuthMethod[];
  /** Already checked against the redirect policy. */
  redirectTo: string;
}

/**
 * The rotation, whatever proved the factor: in one transaction the step is
 * consumed, the proof spent, the old session revoked and the new one created.
 * `proof_refused`: the code was used meanwhile (or the passkey's counter moved).
 */
export async function finishStepUp(
  ctx: StepUpContext,
  found: ValidSession,
  finish: StepUpFinish,
  context: RequestContext,
  now: number,
): Promise<SignedIn | { ok: false; code: ErrorCode | 'proof_refused' }> {
  const { user, session } = found;
  const amr = [...new Set([...session.amr, ...finish.amr])];
  const { token, record } = newSession(ctx, now, context, amr);
  // Confirming a factor lengthens nothing: the new session ends no later than the old one.
  record.expiresAt = Math.min(record.expiresAt, session.expiresAt);
  // Nor is it a sign-in: a second factor alone does not renew the recent-sign-in window (passkey registration, email change).
  record.authenticatedAt = session.authenticatedAt;
  const event = (type: AuditEvent['type'], reason: string | null = null) =>
    auditEvent(context, { type, outcome: 'success', reason, at: now, userId: user.id, email: user.email });
  const result = await ctx.store.completeSecondFactor({
    tokenHash: finish.step.tokenHash,
    proof: finish.proof,
    now,
    session: record,
    verifiedEmail: null,
    replacesSessionId: session.id,
    events: [...(finish.verifier === 'recovery_code' ? [event('recovery_code.used')] : []), event('session.stepped_up', finish.verifier)],
  });
  if (!result.ok) return { ok: false, code: result.reason === 'proof_refused' ? 'proof_refused' : 'second_factor_expired' };
  await ctx.policy.recordSuccess(user.email, finish.verifier);
  ctx.metrics.stepUp(finish.verifier);
  if (finish.verifier === 'recovery_code') await ctx.securityNotices({ id: user.id, email: user.email }, 'recovery_code_used', context);
  return { ok: true, status: 'signed_in', user: result.user, session: result.session, sessionToken: token, redirectTo: finish.redirectTo, createdUser: false };
}
