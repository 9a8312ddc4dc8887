// Signing in with a passkey (issue #17): options for a discoverable credential
// (no address asked, no allow-list, so nothing tells whether an account
// exists), then the answer: this browser's challenge, a credential registered
// here whose user handle is its account's, a signature over our origin and RP
// ID with user verification, and a counter that did not go backwards. A
// passkey is possession plus user verification: the sign-in ends through
// finishFirstFactor as kind 'passkey', which never asks for TOTP. The same
// check (verifyPasskeyAssertion) completes a pending second-factor step
// (passkey-second-factor.ts).

import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { webauthn } from './webauthn.ts';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { auditEvent, type RequestContext } from './audit.ts';
import type { ErrorCode } from './errors.ts';
import { finishFirstFactor, type FirstFactorContext, type VerifyOutcome } from './first-factor.ts';
import { holdsPasskeyChallenge, issuePasskeyChallenge, matchesChallenge, PASSKEY_CHALLENGE_TTL_SECONDS, takePasskeyChallenge } from './passkey-challenges.ts';
import { userHandle, type PasskeyContext, type PasskeyResult } from './passkey-registration.ts';
import type { AuthMethod, User } from './types.ts';
import type { PasskeyUse } from '../store/store.ts';

export type PasskeySignInContext = PasskeyContext & FirstFactorContext;

export async function passkeySignInOptions(
  ctx: PasskeyContext,
  input: { browserToken: string | null | undefined },
  context: RequestContext,
): Promise<PasskeyResult<{ options: PublicKeyCredentialRequestOptionsJSON; browserToken: string }>> {
  if (!ctx.passkeys) return { ok: false, code: 'passkeys_unavailable' };
  const replacesOwnChallenge = await holdsPasskeyChallenge(ctx, 'authentication', input.browserToken);
  if (!(await ctx.policy.checkPasskey({ step: 'options', replacesOwnChallenge }, context)).allow) return { ok: false, code: 'rate_limited' };
  const issued = await issuePasskeyChallenge(ctx, { ceremony: 'authentication', browserToken: input.browserToken, userId: null, sessionId: null });
  const options = await (await webauthn()).generateAuthenticationOptions({
    rpID: ctx.passkeys.rpId,
    challenge: issued.challenge,
    timeout: PASSKEY_CHALLENGE_TTL_SECONDS * 1000,
    userVerification: 'required',
  });
  await issued.store(options.challenge);
  ctx.metrics.passkeyCeremony('authentication', 'started');
  return { ok: true, options, browserToken: issued.browserToken };
}

export interface PasskeySignInInput {
  /** The browser's answer, shape-checked and bounded by the HTTP layer. */
  response: AuthenticationResponseJSON;
  redirectTo: string | null;
  browserToken: string | null | undefined;
}

export async function signInWithPasskey(ctx: PasskeySignInContext, input: PasskeySignInInput, context: RequestContext): Promise<VerifyOutcome> {
  const now = ctx.now();
  const verified = await verifyPasskeyAssertion(ctx, input, context, now, null);
  if (!verified.ok) return verified;
  if (!(await ctx.store.usePasskey(verified.use))) return verified.refuse('passkey_invalid', 'counter_regressed');
  ctx.metrics.passkeyCeremony('authentication', 'success');
  const { user, amr } = verified;
  return finishFirstFactor(ctx, { kind: 'passkey', email: user.email, userId: user.id, redirectTo: input.redirectTo, events: [], amr }, context, now);
}

export interface VerifiedPasskey {
  ok: true;
  user: User;
  /** The sign-in to record (counter, backed-up state, last used); the caller stores it, conditionally. */
  use: PasskeyUse;
  /** RFC 8176: "swk" a synced (backed-up) key, "hwk" one bound to its device; "user": verified by the authenticator. */
  amr: AuthMethod[];
  /** Refuses after the fact (the store found the counter moved meanwhile): audited like any refusal. */
  refuse: (code: ErrorCode, reason: string) => Promise<{ ok: false; code: ErrorCode }>;
}

/**
 * This browser's challenge, a credential registered here (of `accountId` when
 * given: the second-factor step's account), its user handle, a signature over
 * our origin and RP ID with user verification, and a counter that did not go
 * backwards. Every refusal is audited (`passkey.rejected`) and counted.
 */
export async function verifyPasskeyAssertion(
  ctx: PasskeyContext,
  input: Pick<PasskeySignInInput, 'response' | 'browserToken'>,
  context: RequestContext,
  now: number,
  accountId: string | null,
): Promise<VerifiedPasskey | { ok: false; code: ErrorCode }> {
  if (!ctx.passkeys) return { ok: false, code: 'passkeys_unavailable' };
  const refuse = async (code: ErrorCode, user: User | null, reason: string = code): Promise<{ ok: false; code: ErrorCode }> => {
    const event = auditEvent(context, { type: 'passkey.rejected', outcome: 'failure', reason, at: now, userId: user?.id, email: user?.email });
    await ctx.store.appendAudit([event]);
    ctx.metrics.passkeyCeremony('authentication', reason);
    return { ok: false, code };
  };
  if (!(await ctx.policy.checkPasskey({ step: 'verify' }, context)).allow) return { ok: false, code: 'rate_limited' };
  const taken = await takePasskeyChallenge(ctx, 'authentication', input.browserToken);
  if (!taken.ok) return refuse(taken.code, null);
  const found = await ctx.store.findPasskeyByCredentialId(input.response.id);
  if (!found || found.user.disabled) return refuse('passkey_unknown', found?.user ?? null);
  const { passkey, user } = found;
  // A discoverable credential names its account: it must be the one the credential is registered to.
  const handle = input.response.response.userHandle;
  if (handle !== undefined && handle !== Buffer.from(userHandle(user.id)).toString('base64url')) return refuse('passkey_unknown', user, 'user_handle_mismatch');
  let info;
  try {
    const verification = await (await webauthn()).verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: matchesChallenge(taken.challenge),
      expectedOrigin: ctx.passkeys.origin,
      expectedRPID: ctx.passkeys.rpId,
      // The counter is judged below (and again by the store, atomically), so a regression is told apart and audited.
      credential: { id: passkey.credentialId, publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')), counter: 0, transports: [] },
      requireUserVerification: true,
    });
    if (!verification.verified) return refuse('passkey_invalid', user);
    info = verification.authenticationInfo;
  } catch {
    return refuse('passkey_invalid', user);
  }
  // Issue #17 F3: the step of one account is completed by its own passkey only (checked before the counter is recorded).
  if (accountId !== null && user.id !== accountId) return refuse('passkey_wrong_account', user);
  // WebAuthn Level 3 §6.1.1: a counter that does not move forward signals a cloned authenticator.
  if ((passkey.counter > 0 || info.newCounter > 0) && info.newCounter <= passkey.counter) return refuse('passkey_invalid', user, 'counter_regressed');
  return {
    ok: true,
    user,
    use: { id: passkey.id, counter: info.newCounter, backedUp: info.credentialBackedUp, now },
    amr: [info.credentialBackedUp ? 'swk' : 'hwk', 'user'],
    refuse: (code, reason) => refuse(code, user, reason),
  };
}
