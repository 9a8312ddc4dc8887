// The one rule that decides whether a verified first factor signs in or stops
// at the second step (issue #17 review F1/F4): a table of accounts and factors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsSecondFactor, NO_REQUIREMENTS, passkeyRequirementHolds } from '../../src/core/sign-in-requirements.ts';
import type { FirstFactorKind } from '../../src/core/types.ts';
import type { SignInRequirements } from '../../src/store/store.ts';

const account = (fields: Partial<SignInRequirements>): SignInRequirements => ({ ...NO_REQUIREMENTS, ...fields });
const KINDS: FirstFactorKind[] = ['link', 'code', 'password', 'passkey'];
const asked = (requirements: SignInRequirements) => KINDS.filter((kind) => needsSecondFactor(requirements, kind));

describe('needsSecondFactor', () => {
  it('an account without a second factor is never asked', () => {
    assert.deepEqual(asked(NO_REQUIREMENTS), []);
    // The setting with nothing left to give it (TOTP off, no passkey): nothing could complete the step.
    assert.deepEqual(asked(account({ emailSignInRequiresPasskey: true })), []);
  });

  it('TOTP on: always after a password; after email unless the account chose email alone; never after a passkey', () => {
    assert.deepEqual(asked(account({ totpEnabled: true, emailSignInRequiresTotp: true })), ['link', 'code', 'password']);
    assert.deepEqual(asked(account({ totpEnabled: true, emailSignInRequiresTotp: false })), ['password']);
  });

  it('the passkey setting with a passkey: every first factor but a passkey, TOTP off (F1: the password, which the mailbox can reset, too)', () => {
    const guarded = account({ emailSignInRequiresPasskey: true, passkeys: 1 });
    assert.equal(passkeyRequirementHolds(guarded), true);
    assert.deepEqual(asked(guarded), ['link', 'code', 'password']);
    // Passkeys without the setting: email alone still signs in.
    assert.deepEqual(asked(account({ passkeys: 2 })), []);
  });

  it('the passkey setting with TOTP on and no passkey left (F4): it still holds, even where TOTP alone would let email through', () => {
    const lastPasskeyGone = account({ emailSignInRequiresPasskey: true, totpEnabled: true, emailSignInRequiresTotp: false, passkeys: 0 });
    assert.equal(passkeyRequirementHolds(lastPasskeyGone), true);
    assert.deepEqual(asked(lastPasskeyGone), ['link', 'code', 'password']);
  });
});
