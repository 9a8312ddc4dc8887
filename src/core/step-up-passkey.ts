// Step-up with a passkey (issues #16/#17): POST /auth/step-up/passkey, the
// answer to the options of the passkey sign-in options endpoint. The passkey
// must be of the session's account (`passkey_wrong_account` otherwise, nothing
// changed, verifyPasskeyAssertion), each answer counts toward the step's cap
// like a code, and success rotates the session (step-up.ts finishStepUp) with
// the passkey's counter moved forward in the same transaction.

import type { RequestContext } from './audit.ts';
import type { SignedIn } from './first-factor.ts';
import type { PasskeyContext } from './passkey-registration.ts';
import { verifyPasskeyAssertion, type PasskeySignInInput } from './passkey-sign-in.ts';
import { MAX_SECOND_FACTOR_ATTEMPTS } from './second-factor.ts';
import type { ValidSession } from './sessions.ts';
import { finishStepUp, reserveStepUpAttempt, type StepUpContext, type StepUpFailure } from './step-up.ts';

export async function stepUpWithPasskey(
  ctx: StepUpContext & PasskeyContext,
  found: ValidSession,
  input: Pick<PasskeySignInInput, 'response' | 'browserToken'>,
  redirectTo: string,
  context: RequestContext,
): Promise<SignedIn | StepUpFailure> {
  if (!ctx.passkeys) return { ok: false, code: 'passkeys_unavailable' };
  const reserved = await reserveStepUpAttempt(ctx, found);
  if (!reserved.ok) return reserved;
  const { step, attempts, now } = reserved;
  const verified = await verifyPasskeyAssertion(ctx, input, context, now, found.user.id);
  if (!verified.ok) return verified.code !== 'rate_limited' && attempts >= MAX_SECOND_FACTOR_ATTEMPTS ? { ok: false, code: 'second_factor_locked' } : verified;
  // RFC 8176: the session's methods, then the passkey's ("hwk" or "swk", and "user").
  const finish = { step, proof: { passkey: verified.use }, verifier: 'passkey' as const, amr: verified.amr, redirectTo };
  const result = await finishStepUp(ctx, found, finish, context, now);
  if (!result.ok) {
    // The passkey was removed meanwhile, or its counter moved past this answer.
    if (result.code === 'proof_refused') return verified.refuse('passkey_invalid', 'counter_regressed');
    return { ok: false, code: result.code };
  }
  ctx.metrics.passkeyCeremony('authentication', 'success');
  return result;
}
