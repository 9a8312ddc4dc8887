// Two-factor storage as an attacker sees it: a TOTP step counts once, a
// recovery code signs in once, a pending second factor gives one session and
// a bounded number of guesses, however many requests race.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { PendingSecondFactor, Store } from '../store.ts';
import { event, hash, MINUTE, newSession, signedIn, signInInput, T0, withoutId, type StoreTest } from './fixtures.ts';

const STEP = Math.floor(T0 / 30_000);

function pending(userId: string, fields: Partial<PendingSecondFactor> = {}): PendingSecondFactor {
  return {
    tokenHash: hash(),
    userId,
    email: 'ada@example.com',
    firstFactor: 'link',
    redirectTo: '/after',
    createdAt: T0,
    expiresAt: T0 + 5 * MINUTE,
    attempts: 0,
    passwordHash: null,
    ...fields,
  };
}

/** An account with TOTP on (last used step STEP) and the given recovery-code hashes. */
async function withTotp(store: Store, email = 'ada@example.com', codes: string[] = [hash(), hash()]) {
  const { user } = await signedIn(store, email);
  assert.equal(await store.startTotpEnrolment(user.id, 'sealed-secret', T0, []), true);
  assert.equal(await store.enableTotp({ userId: user.id, step: STEP, now: T0, recoveryCodeHashes: codes, events: [] }), true);
  return { user, codes };
}

const completion = (tokenHash: string, proof: { totpStep: number } | { recoveryCodeHash: string }, now = T0 + MINUTE) => ({
  tokenHash,
  proof,
  now,
  session: newSession({ createdAt: now }),
  verifiedEmail: null,
  events: [event('sign_in.succeeded', { at: now })],
});

export function twoFactorCases(test: StoreTest): void {
  describe('two-factor: TOTP', () => {
    test('enrolment stays off until enabled; a restart replaces the unconfirmed secret, never an enabled one', async (store) => {
      const { user } = await signedIn(store, 'ada@example.com');
      assert.equal(await store.getTotp(user.id), null);
      assert.equal(await store.startTotpEnrolment(user.id, 'first', T0, [event('totp.enrolment_started')]), true);
      assert.deepEqual(await store.getTotp(user.id), {
        userId: user.id,
        secretSealed: 'first',
        createdAt: T0,
        enabledAt: null,
        lastUsedStep: null,
        emailSignInRequiresTotp: true,
      });
      assert.equal(await store.useTotpStep(user.id, STEP), false, 'an unconfirmed secret verifies nothing');
      assert.equal(await store.startTotpEnrolment(user.id, 'second', T0 + 1, []), true);
      assert.equal((await store.getTotp(user.id))?.secretSealed, 'second');

      const codes = [hash(), hash()];
      const enabled = [event('totp.enabled', { userId: user.id })];
      assert.equal(await store.enableTotp({ userId: user.id, step: STEP, now: T0 + 2, recoveryCodeHashes: codes, events: enabled }), true);
      const on = await store.getTotp(user.id);
      assert.equal(on?.enabledAt, T0 + 2);
      assert.equal(on?.lastUsedStep, STEP);
      assert.equal(await store.countRecoveryCodes(user.id), 2);

      assert.equal(await store.startTotpEnrolment(user.id, 'attacker', T0 + 3, [event('totp.enrolment_started')]), false);
      assert.equal(await store.enableTotp({ userId: user.id, step: STEP + 5, now: T0 + 3, recoveryCodeHashes: [hash()], events: [] }), false);
      assert.deepEqual(await store.getTotp(user.id), on, 'an enabled secret is left as it was');
      assert.equal(await store.countRecoveryCodes(user.id), 2);
      assert.deepEqual(
        (await store.listAudit({})).map((e) => e.type).sort(),
        ['totp.enabled', 'totp.enrolment_started'],
        'refused changes write no events',
      );
    });

    test('a time step counts once: only a newer step is accepted, also when 20 race', async (store) => {
      const { user } = await withTotp(store);
      assert.equal(await store.useTotpStep(user.id, STEP), false, 'the confirming step is spent');
      assert.equal(await store.useTotpStep(user.id, STEP - 1), false);
      const racing = await Promise.all(Array.from({ length: 20 }, () => store.useTotpStep(user.id, STEP + 1)));
      assert.equal(racing.filter(Boolean).length, 1);
      assert.equal((await store.getTotp(user.id))?.lastUsedStep, STEP + 1);
      assert.equal(await store.useTotpStep(user.id, STEP + 3), true);
      assert.equal(await store.useTotpStep(user.id, STEP + 2), false, 'an older step after a newer one');
    });

    test('the email sign-in setting changes only while TOTP is on; disabling removes the secret and every code', async (store) => {
      const { user } = await withTotp(store);
      const other = await withTotp(store, 'bob@example.com');
      assert.equal(await store.setEmailSignInRequiresTotp(user.id, false, [event('totp.settings_changed')]), true);
      assert.equal((await store.getTotp(user.id))?.emailSignInRequiresTotp, false);
      assert.equal(await store.disableTotp(user.id, [event('totp.disabled')]), true);
      assert.equal(await store.getTotp(user.id), null);
      assert.equal(await store.countRecoveryCodes(user.id), 0);
      assert.equal(await store.disableTotp(user.id, [event('totp.disabled')]), false);
      assert.equal(await store.setEmailSignInRequiresTotp(user.id, true, [event('totp.settings_changed')]), false);
      assert.equal(await store.useTotpStep(user.id, STEP + 10), false);
      assert.equal(await store.countRecoveryCodes(other.user.id), 2, "another account's codes stay");
      assert.deepEqual((await store.listAudit({})).map((e) => e.type).sort(), ['totp.disabled', 'totp.settings_changed']);
    });
  });

  describe('two-factor: recovery codes', () => {
    test('a recovery code works once, for its own account only, also when 20 race', async (store) => {
      const { user, codes } = await withTotp(store);
      const bob = await withTotp(store, 'bob@example.com');
      const [first, second] = codes as [string, string];
      assert.equal(await store.consumeRecoveryCode(bob.user.id, first, T0, []), false, "not on another account");
      const racing = await Promise.all(
        Array.from({ length: 20 }, () => store.consumeRecoveryCode(user.id, first, T0, [event('recovery_code.used', { userId: user.id })])),
      );
      assert.equal(racing.filter(Boolean).length, 1);
      assert.equal((await store.listAudit({ type: 'recovery_code.used' })).length, 1, 'one event, from the winner');
      assert.equal(await store.consumeRecoveryCode(user.id, first, T0 + 1, []), false);
      assert.equal(await store.consumeRecoveryCode(user.id, hash(), T0 + 1, []), false);
      assert.equal(await store.countRecoveryCodes(user.id), 1);
      assert.equal(await store.consumeRecoveryCode(user.id, second, T0 + 2, []), true);
      assert.equal(await store.countRecoveryCodes(user.id), 0);
    });

    test('new codes replace every old one, and only while TOTP is on', async (store) => {
      const { user, codes } = await withTotp(store);
      const fresh = [hash(), hash(), hash()];
      assert.equal(await store.replaceRecoveryCodes(user.id, fresh, T0 + 1, [event('recovery_codes.generated')]), true);
      assert.equal(await store.countRecoveryCodes(user.id), 3);
      assert.equal(await store.consumeRecoveryCode(user.id, codes[0]!, T0 + 2, []), false, 'an old code is dead');
      assert.equal(await store.consumeRecoveryCode(user.id, fresh[0]!, T0 + 2, []), true);
      const { user: plain } = await signedIn(store, 'plain@example.com');
      assert.equal(await store.replaceRecoveryCodes(plain.id, [hash()], T0, []), false);
      assert.equal(await store.countRecoveryCodes(plain.id), 0);
    });
  });

  describe('two-factor: the pending second factor', () => {
    test('stored as given; a new one sweeps the account\'s expired ones', async (store) => {
      const { user } = await withTotp(store);
      const old = pending(user.id, { createdAt: T0 - 10 * MINUTE, expiresAt: T0 - 5 * MINUTE });
      await store.createPendingSecondFactor(old, []);
      assert.deepEqual(await store.findPendingSecondFactor(old.tokenHash), old);
      const fresh = pending(user.id, { firstFactor: 'password' });
      await store.createPendingSecondFactor(fresh, [event('second_factor.required', { userId: user.id })]);
      assert.equal(await store.findPendingSecondFactor(old.tokenHash), null);
      assert.deepEqual(await store.findPendingSecondFactor(fresh.tokenHash), fresh);
      assert.equal(await store.findPendingSecondFactor(hash()), null);
      assert.deepEqual((await store.listAudit({})).map(withoutId), [event('second_factor.required', { userId: user.id })]);
    });

    test('attempts are capped however many race, and an expired one takes none', async (store) => {
      const { user } = await withTotp(store);
      const live = pending(user.id);
      await store.createPendingSecondFactor(live, []);
      const results = await Promise.all(Array.from({ length: 12 }, () => store.reserveSecondFactorAttempt(live.tokenHash, 5, T0)));
      assert.deepEqual(results.filter((r) => r !== null).sort(), [1, 2, 3, 4, 5]);
      assert.equal((await store.findPendingSecondFactor(live.tokenHash))?.attempts, 5);
      const late = pending(user.id, { expiresAt: T0 + MINUTE });
      await store.createPendingSecondFactor(late, []);
      assert.equal(await store.reserveSecondFactorAttempt(late.tokenHash, 5, T0 + MINUTE), null);
      assert.equal(await store.reserveSecondFactorAttempt(hash(), 5, T0), null);
    });

    test('a TOTP step completes it once: the session, the events, the step spent, the row gone', async (store) => {
      const { user } = await withTotp(store);
      const step = pending(user.id);
      await store.createPendingSecondFactor(step, []);
      const input = completion(step.tokenHash, { totpStep: STEP + 1 });
      const result = await store.completeSecondFactor(input);
      assert.ok(result.ok);
      assert.equal(result.user.id, user.id);
      assert.equal(result.session.userId, user.id);
      assert.deepEqual((await store.findSession(input.session.tokenHash))?.session, result.session);
      assert.equal((await store.getTotp(user.id))?.lastUsedStep, STEP + 1);
      assert.equal(await store.findPendingSecondFactor(step.tokenHash), null);
      assert.deepEqual((await store.listAudit({ type: 'sign_in.succeeded' })).map(withoutId), [{ ...input.events[0]!, userId: user.id }]);
      const again = await store.completeSecondFactor(completion(step.tokenHash, { totpStep: STEP + 2 }));
      assert.deepEqual(again, { ok: false, reason: 'pending_gone' });
    });

    test('a held password reset is applied only by the completion: before it nothing changes, after it the password is set and every other session revoked', async (store) => {
      const { user } = await withTotp(store);
      await signedIn(store, 'ada@example.com'); // another device of the account
      const held = pending(user.id, { passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$held$held' });
      await store.createPendingSecondFactor(held, []);
      assert.equal((await store.findPendingSecondFactor(held.tokenHash))?.passwordHash, held.passwordHash);
      assert.equal(await store.getPassword(user.id), null, 'nothing set before the second factor');
      assert.equal((await store.listSessions(user.id, T0)).length, 2);
      assert.deepEqual(await store.completeSecondFactor(completion(held.tokenHash, { totpStep: STEP })), { ok: false, reason: 'proof_refused' });
      assert.equal(await store.getPassword(user.id), null, 'a refused proof rolls the reset back too');
      const input = completion(held.tokenHash, { totpStep: STEP + 1 });
      const done = await store.completeSecondFactor(input);
      assert.ok(done.ok);
      assert.equal((await store.getPassword(user.id))?.passwordHash, held.passwordHash);
      assert.deepEqual((await store.listSessions(user.id, T0 + MINUTE)).map((s) => s.id), [done.session.id], 'only the new session is left');
    });

    test('a spent step or an unknown recovery code is refused and rolls everything back', async (store) => {
      const { user } = await withTotp(store);
      const step = pending(user.id);
      await store.createPendingSecondFactor(step, []);
      for (const proof of [{ totpStep: STEP }, { totpStep: STEP - 1 }, { recoveryCodeHash: hash() }]) {
        const input = completion(step.tokenHash, proof);
        assert.deepEqual(await store.completeSecondFactor(input), { ok: false, reason: 'proof_refused' });
        assert.equal(await store.findSession(input.session.tokenHash), null);
      }
      assert.deepEqual(await store.findPendingSecondFactor(step.tokenHash), step, 'still pending, still usable');
      assert.deepEqual(await store.listAudit({}), []);
      const expired = pending(user.id, { expiresAt: T0 + 30_000 });
      await store.createPendingSecondFactor(expired, []);
      assert.deepEqual(await store.completeSecondFactor(completion(expired.tokenHash, { totpStep: STEP + 1 })), { ok: false, reason: 'pending_gone' });
      assert.equal((await store.getTotp(user.id))?.lastUsedStep, STEP, 'an expired step spends nothing');
    });

    test('one pending step, 10 parallel completions with fresh steps: one session', async (store) => {
      const { user } = await withTotp(store);
      const step = pending(user.id);
      await store.createPendingSecondFactor(step, []);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.completeSecondFactor(completion(step.tokenHash, { totpStep: STEP + 1 + i }))),
      );
      assert.equal(results.filter((r) => r.ok).length, 1);
      assert.equal((await store.listSessions(user.id, T0 + MINUTE)).length, 2, 'the fixture sign-in and one more');
    });

    test('one recovery code, 10 pending steps completing in parallel: one session, the other steps stay pending', async (store) => {
      const { user, codes } = await withTotp(store);
      const steps = Array.from({ length: 10 }, () => pending(user.id));
      for (const step of steps) await store.createPendingSecondFactor(step, []);
      const results = await Promise.all(steps.map((step) => store.completeSecondFactor(completion(step.tokenHash, { recoveryCodeHash: codes[0]! }))));
      assert.equal(results.filter((r) => r.ok).length, 1);
      assert.equal(results.filter((r) => !r.ok && r.reason === 'proof_refused').length, 9);
      assert.equal(await store.countRecoveryCodes(user.id), 1);
      const left = await Promise.all(steps.map((step) => store.findPendingSecondFactor(step.tokenHash)));
      assert.equal(left.filter((p) => p !== null).length, 9);
    });

    test('a step-up rotates the session in the same transaction: the old one revoked, a new one made; a refused proof or a session no longer live changes nothing', async (store) => {
      const { user } = await withTotp(store);
      const old = await store.listSessions(user.id, T0);
      const oldId = old[0]!.id;
      const step = pending(user.id);
      await store.createPendingSecondFactor(step, []);
      const refused = await store.completeSecondFactor({ ...completion(step.tokenHash, { totpStep: STEP }), replacesSessionId: oldId });
      assert.deepEqual(refused, { ok: false, reason: 'proof_refused' });
      assert.deepEqual((await store.listSessions(user.id, T0 + MINUTE)).map((s) => s.id), [oldId], 'a refused proof leaves the old session');
      const input = { ...completion(step.tokenHash, { totpStep: STEP + 1 }), replacesSessionId: oldId };
      const done = await store.completeSecondFactor(input);
      assert.ok(done.ok);
      assert.deepEqual((await store.listSessions(user.id, T0 + MINUTE)).map((s) => s.id), [done.session.id], 'only the new session is live');
      // The old session revoked meanwhile: nothing is spent, no session is made.
      const again = pending(user.id);
      await store.createPendingSecondFactor(again, []);
      const late = { ...completion(again.tokenHash, { totpStep: STEP + 2 }), replacesSessionId: oldId };
      assert.deepEqual(await store.completeSecondFactor(late), { ok: false, reason: 'pending_gone' });
      assert.equal(await store.findSession(late.session.tokenHash), null);
      assert.equal((await store.getTotp(user.id))?.lastUsedStep, STEP + 1, 'the code is not spent');
    });

    test('step-ups racing "sign out everywhere" and a disabling: no session of the account is left live', async (store) => {
      for (const endAll of ['revoke', 'disable'] as const) {
        const email = `race-${endAll}@example.com`;
        const codes = Array.from({ length: 12 }, () => hash());
        const { user } = await withTotp(store, email, codes);
        for (let i = 1; i < codes.length; i++) await signedIn(store, email);
        const sessions = await store.listSessions(user.id, T0);
        const steps = sessions.map((session) => ({ session, step: pending(user.id, { email }) }));
        for (const { step } of steps) await store.createPendingSecondFactor(step, []);
        const stepUps = steps.map(({ session, step }, i) =>
          store.completeSecondFactor({ ...completion(step.tokenHash, { recoveryCodeHash: codes[i]! }), replacesSessionId: session.id }),
        );
        const end = endAll === 'revoke' ? store.revokeUserSessions(user.id, T0 + MINUTE, []) : store.setUserDisabled(user.id, T0 + MINUTE, T0 + MINUTE, []);
        await Promise.all([...stepUps.slice(0, 6), end, ...stepUps.slice(6)]);
        assert.deepEqual(await store.listSessions(user.id, T0 + MINUTE), [], `${endAll}: a rotated session outlived it`);
      }
    });

    test('the address is marked verified only when asked and still the account\'s', async (store) => {
      const first = await store.signIn(signInInput({ email: 'new@example.com', emailProven: false }));
      assert.equal(first?.user.emailVerified, false, 'a password sign-in proves no address');
      const userId = first!.user.id;
      await store.startTotpEnrolment(userId, 'sealed', T0, []);
      await store.enableTotp({ userId, step: STEP, now: T0, recoveryCodeHashes: [], events: [] });
      const other = pending(userId, { email: 'new@example.com' });
      await store.createPendingSecondFactor(other, []);
      const wrong = await store.completeSecondFactor({ ...completion(other.tokenHash, { totpStep: STEP + 1 }), verifiedEmail: 'old@example.com' });
      assert.ok(wrong.ok);
      assert.equal(wrong.user.emailVerified, false);
      const step = pending(userId, { email: 'new@example.com' });
      await store.createPendingSecondFactor(step, []);
      const right = await store.completeSecondFactor({ ...completion(step.tokenHash, { totpStep: STEP + 2 }), verifiedEmail: 'new@example.com' });
      assert.ok(right.ok);
      assert.equal(right.user.emailVerified, true);
      assert.equal((await store.findUserByEmail('new@example.com'))?.emailVerified, true);
    });
  });
}
