// Does this first factor end in a session, or in the second-factor step? One
// pure rule, read from one store row (store getSignInRequirements, issue #13),
// used by every first factor (first-factor.ts), by the password reset (which
// holds the new password in the step) and by the step's page.
//
// Issue #17 (review F1, F4): "email sign-in also asks for my passkey or
// authenticator code" means the mailbox alone never signs in, whichever way it
// is used: an emailed link or code, a cross-device approval, a password reset
// (by link or code), or a password (which the mailbox can reset). It holds
// while the account has a second factor to give: a passkey or TOTP.

import type { FirstFactorKind } from './types.ts';
import type { SignInRequirements } from '../store/store.ts';

/** Nothing asked: an unknown account, or one without a second factor. */
export const NO_REQUIREMENTS: SignInRequirements = { totpEnabled: false, emailSignInRequiresTotp: false, emailSignInRequiresPasskey: false, passkeys: 0 };

/** The passkey setting is in force: on, and the account has a passkey or TOTP to complete the step with. */
export function passkeyRequirementHolds(requirements: SignInRequirements): boolean {
  return requirements.emailSignInRequiresPasskey && (requirements.passkeys > 0 || requirements.totpEnabled);
}

/**
 * Whether a verified first factor of this kind needs the second step. A passkey
 * never does (possession and user verification in one, NIST SP 800-63B-4
 * §3.1.7). With TOTP on: always after a password, after an email factor unless
 * the account chose email alone. With the passkey setting in force: after
 * every first factor but a passkey.
 */
export function needsSecondFactor(requirements: SignInRequirements, kind: FirstFactorKind): boolean {
  if (kind === 'passkey') return false;
  if (passkeyRequirementHolds(requirements)) return true;
  return requirements.totpEnabled && (kind === 'password' || requirements.emailSignInRequiresTotp);
}
