// A passkey completes the pending second-factor step (issue #17, review F3):
// POST /auth/sign-in/passkey, with the step's cookie. Before this, the step's
// passkey button started a fresh passkey sign-in, so a password reset held in
// the step (password-reset.ts) was silently dropped. Now the assertion must be
// of the step's account (`passkey_wrong_account` otherwise, nothing changed), and it
// ends the step exactly as a TOTP code does (second-factor.ts finishPendingStep):
// the held password set, every other session revoked, the step consumed, one
// transaction, with the passkey's counter moved forward in it.

import type { RequestContext } from './audit.ts';
import type { ErrorCode } from './errors.ts';
import type { SignedIn } from './first-factor.ts';
import { verifyPasskeyAssertion, type PasskeySignInInput } from './passkey-sign-in.ts';
import type { PasskeyContext } from './passkey-registration.ts';
import { findPendingSecondFactor, finishPendingStep, MAX_SECOND_FACTOR_ATTEMPTS, type SecondFactorContext } from './second-factor.ts';
import { FIRST_FACTOR_AMR } from './types.ts';

export async function completeSecondFactorWithPasskey(
  ctx: SecondFactorContext & PasskeyContext,
  pendingToken: string | null | undefined,
  input: Pick<PasskeySignInInput, 'response' | 'browserToken'>,
  context: RequestContext,
): Promise<SignedIn | { ok: false; code: ErrorCode }> {
  if (!ctx.passkeys) return { ok: false, code: 'passkeys_unavailable' };
  const pending = await findPendingSecondFactor(ctx, pendingToken);
  if (!pending) return { ok: false, code: 'second_factor_expired' };
  const now = ctx.now();
  // Each answer counts toward the step's cap, like a code (counted before any work).
  const attempts = await ctx.store.reserveSecondFactorAttempt(pending.tokenHash, MAX_SECOND_FACTOR_ATTEMPTS, now);
  if (attempts === null) return { ok: false, code: 'second_factor_locked' };
  const verified = await verifyPasskeyAssertion(ctx, input, context, now, pending.userId);
  if (!verified.ok) return verified.code !== 'rate_limited' && attempts >= MAX_SECOND_FACTOR_ATTEMPTS ? { ok: false, code: 'second_factor_locked' } : verified;
  // RFC 8176: the first factor's method, then the passkey's ("hwk" or "swk", and "user"), e.g. ["email", "swk", "user"].
  const amr = [FIRST_FACTOR_AMR[pending.firstFactor], ...verified.amr];
  const result = await finishPendingStep(ctx, pending, { proof: { passkey: verified.use }, verifier: 'passkey', amr }, context, now);
  if (!result.ok) {
    if (result.reason === 'pending_gone') return { ok: false, code: 'second_factor_expired' };
    // The passkey was removed meanwhile, or its counter moved past this answer.
    return verified.refuse('passkey_invalid', 'counter_regressed');
  }
  ctx.metrics.passkeyCeremony('authentication', 'success');
  return result;
}
