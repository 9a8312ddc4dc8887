// What the end of a sign-in reads (issue #13: one statement), and the passkey
// completing a second-factor step (issue #17, review F3/F4) as an attacker
// sees it: only a passkey of the step's account completes it, a counter that
// does not move forward completes nothing, and a held reset waits for it.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe } from 'node:test';
import type { Passkey } from '../passkey-store.ts';
import type { PendingSecondFactor } from '../store.ts';
import { event, hash, MINUTE, newSession, signedIn, T0, type StoreTest } from './fixtures.ts';

function passkey(userId: string): Passkey {
  return {
    id: randomUUID(),
    userId,
    credentialId: hash(),
    publicKey: hash(),
    counter: 3,
    transports: ['internal'],
    deviceType: 'singleDevice',
    backedUp: false,
    aaguid: '00000000-0000-0000-0000-000000000000',
    name: 'Laptop',
    createdAt: T0,
    lastUsedAt: null,
  };
}

function pending(userId: string, passwordHash: string | null): PendingSecondFactor {
  return {
    tokenHash: hash(),
    userId,
    email: 'ada@example.com',
    firstFactor: 'link',
    redirectTo: '/after',
    createdAt: T0,
    expiresAt: T0 + 5 * MINUTE,
    attempts: 0,
    passwordHash,
  };
}

const byPasskey = (tokenHash: string, id: string, counter: number, now = T0 + MINUTE) => ({
  tokenHash,
  proof: { passkey: { id, counter, backedUp: false, now } },
  now,
  session: newSession({ createdAt: now }),
  verifiedEmail: 'ada@example.com',
  events: [event('sign_in.succeeded', { reason: 'link+passkey' })],
});

export function signInRequirementCases(test: StoreTest): void {
  describe('sign-in requirements and the passkey step', () => {
    test('one read gives TOTP, both email settings and the passkey count; an unknown account asks nothing', async (store) => {
      const off = { totpEnabled: false, emailSignInRequiresTotp: false, emailSignInRequiresPasskey: false, passkeys: 0 };
      assert.deepEqual(await store.getSignInRequirements(randomUUID()), off);
      const { user } = await signedIn(store, 'ada@example.com');
      assert.deepEqual(await store.getSignInRequirements(user.id), off);
      // An unconfirmed enrolment is not TOTP on (its email setting is not reported either).
      assert.equal(await store.startTotpEnrolment(user.id, 'sealed', T0, []), true);
      assert.deepEqual(await store.getSignInRequirements(user.id), off);
      assert.equal(await store.enableTotp({ userId: user.id, step: 1, now: T0, recoveryCodeHashes: [], events: [] }), true);
      await store.addPasskey(passkey(user.id), []);
      await store.addPasskey(passkey(user.id), []);
      assert.equal(await store.setEmailSignInRequiresPasskey(user.id, true, []), true);
      assert.deepEqual(await store.getSignInRequirements(user.id), { totpEnabled: true, emailSignInRequiresTotp: true, emailSignInRequiresPasskey: true, passkeys: 2 });
      assert.equal(await store.setEmailSignInRequiresTotp(user.id, false, []), true);
      assert.equal((await store.getSignInRequirements(user.id)).emailSignInRequiresTotp, false);
    });

    test('turning TOTP off with no passkey left turns the passkey setting off too, audited, in the same transaction', async (store) => {
      const { user } = await signedIn(store, 'ada@example.com');
      const key = passkey(user.id);
      await store.addPasskey(key, []);
      assert.equal(await store.setEmailSignInRequiresPasskey(user.id, true, []), true);
      assert.equal(await store.startTotpEnrolment(user.id, 'sealed', T0, []), true);
      assert.equal(await store.enableTotp({ userId: user.id, step: 1, now: T0, recoveryCodeHashes: [], events: [] }), true);
      assert.equal(await store.removePasskey(user.id, key.id, []), 'removed', 'TOTP still answers the step');
      assert.equal((await store.getSignInRequirements(user.id)).emailSignInRequiresPasskey, true);
      assert.equal(await store.disableTotp(user.id, [event('totp.disabled', { userId: user.id })]), true);
      assert.deepEqual(await store.getSignInRequirements(user.id), { totpEnabled: false, emailSignInRequiresTotp: false, emailSignInRequiresPasskey: false, passkeys: 0 });
      assert.deepEqual((await store.listAudit({ type: 'passkey.settings_changed' })).map((e) => [e.userId, e.reason]), [[user.id, 'off_totp_disabled']]);
    });

    test('a passkey completes a step only for its own account and a forward counter; a held reset waits for it', async (store) => {
      const ada = (await signedIn(store, 'ada@example.com')).user;
      const eve = (await signedIn(store, 'eve@example.com')).user;
      const adaKey = passkey(ada.id);
      const eveKey = passkey(eve.id);
      await store.addPasskey(adaKey, []);
      await store.addPasskey(eveKey, []);
      const held = pending(ada.id, '$argon2id$v=19$m=19456,t=2,p=1$held$held');
      await store.createPendingSecondFactor(held, []);
      assert.deepEqual(await store.completeSecondFactor(byPasskey(held.tokenHash, eveKey.id, 9)), { ok: false, reason: 'proof_refused' }, "another account's passkey");
      assert.deepEqual(await store.completeSecondFactor(byPasskey(held.tokenHash, adaKey.id, 3)), { ok: false, reason: 'proof_refused' }, 'a counter that did not move');
      assert.equal(await store.getPassword(ada.id), null, 'nothing set by a refused proof');
      assert.equal((await store.listPasskeys(eve.id))[0]?.counter, 3, "the other account's passkey is untouched");
      const done = await store.completeSecondFactor(byPasskey(held.tokenHash, adaKey.id, 4));
      assert.ok(done.ok);
      assert.equal(done.user.id, ada.id);
      assert.equal((await store.getPassword(ada.id))?.passwordHash, held.passwordHash);
      const used = (await store.listPasskeys(ada.id))[0];
      assert.equal(used?.counter, 4);
      assert.equal(used?.lastUsedAt, T0 + MINUTE);
      assert.deepEqual(await store.completeSecondFactor(byPasskey(held.tokenHash, adaKey.id, 5)), { ok: false, reason: 'pending_gone' });
    });

    test('a disabled account\'s step completes nothing, and disabling deletes its steps', async (store) => {
      const ada = (await signedIn(store, 'ada@example.com')).user;
      const key = passkey(ada.id);
      await store.addPasskey(key, []);
      const step = pending(ada.id, null);
      await store.createPendingSecondFactor(step, []);
      assert.equal(await store.setUserDisabled(ada.id, T0, T0, []), true);
      assert.equal(await store.findPendingSecondFactor(step.tokenHash), null, 'disabling deletes the pending step');
      // A step created in a race with the disabling: the completion itself refuses.
      await store.createPendingSecondFactor(step, []);
      assert.deepEqual(await store.completeSecondFactor(byPasskey(step.tokenHash, key.id, 4)), { ok: false, reason: 'pending_gone' });
      assert.deepEqual(await store.listSessions(ada.id, T0 + MINUTE), []);
      assert.equal(await store.setUserDisabled(ada.id, null, T0 + 2 * MINUTE, []), true);
      assert.deepEqual(await store.listSessions(ada.id, T0 + 2 * MINUTE), [], 'enabling brings no session to life');
    });
  });
}
