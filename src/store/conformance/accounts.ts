// Passwords, email verification and email change (issue #5) as the account's
// owner or an intruder would see them: a reset signs out everywhere and retires
// every token but the owner's "this wasn't me" link, a change never takes an
// address from another account, and undoing it gives the account back.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe } from 'node:test';
import { event, hash, MINUTE, newSession, outboxMessage, signedIn, T0, tokenRecord, withoutId, type StoreTest } from './fixtures.ts';

const PHC = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
const PHC2 = PHC.replace('m=19456,t=2', 'm=47104,t=1');

export function accountCases(test: StoreTest): void {
  describe('passwords, email verification and email change', () => {
    test('findPasswordByEmail: the account and its hash, null hash without a password, null without an account', async (store) => {
      const { user } = await signedIn(store, 'ada@example.com');
      assert.deepEqual(await store.findPasswordByEmail('ada@example.com'), { user, passwordHash: null });
      assert.equal(await store.findPasswordByEmail('nobody@example.com'), null);
      assert.equal(await store.getPassword(user.id), null);
      const set = await store.setPassword({ userId: user.id, passwordHash: PHC, now: T0 + MINUTE, keepSessionId: null, verifiedEmail: null, mail: null, events: [] });
      assert.equal(set?.id, user.id);
      assert.equal((await store.findPasswordByEmail('ada@example.com'))?.passwordHash, PHC);
      assert.deepEqual(await store.getPassword(user.id), { passwordHash: PHC, changedAt: T0 + MINUTE });
    });

    test('setPassword keeping one session: the others revoked, tokens retired, the notice queued and the events appended', async (store) => {
      const keep = await signedIn(store, 'ada@example.com', { tokenHash: hash() });
      const other = hash();
      await signedIn(store, 'ada@example.com', { tokenHash: other });
      const reset = tokenRecord({ purpose: 'password_reset', userId: keep.user.id });
      await store.issueToken(reset, null, []);
      const mail = outboxMessage({ createdAt: T0 + MINUTE });
      const events = [event('password.set', { reason: 'added' })];
      await store.setPassword({ userId: keep.user.id, passwordHash: PHC, now: T0 + MINUTE, keepSessionId: keep.session.id, verifiedEmail: null, mail, events });
      assert.deepEqual((await store.listSessions(keep.user.id, T0 + MINUTE)).map((s) => s.id), [keep.session.id]);
      assert.equal(await store.findSession(other), null);
      assert.equal((await store.findToken(reset.tokenHash))?.retiredAt, T0 + MINUTE);
      assert.equal((await store.getOutboxMessage(mail.id))?.status, 'queued');
      assert.deepEqual((await store.listAudit({ type: 'password.set' })).map(withoutId), [{ ...events[0], userId: keep.user.id }]);
    });

    test('setPassword revoking all (a reset): no session, no pending second factor, every token but the cancel links retired, the address verified', async (store) => {
      const created = await store.createUser({ id: randomUUID(), email: 'op@example.com', now: T0 }, []);
      const cookie = hash();
      await store.signIn({ email: 'op@example.com', userId: created!.id, allowSignup: false, newUserId: randomUUID(), now: T0, session: newSession({ tokenHash: cookie }), events: [], emailProven: false });
      assert.equal((await store.findUserByEmail('op@example.com'))?.emailVerified, false);
      const pending = { tokenHash: hash(), userId: created!.id, email: 'op@example.com', firstFactor: 'password' as const, redirectTo: null, createdAt: T0, expiresAt: T0 + 5 * MINUTE, attempts: 0, passwordHash: null };
      await store.createPendingSecondFactor(pending, []);
      const signIn = tokenRecord({ email: 'op@example.com', userId: created!.id });
      const cancel = tokenRecord({ purpose: 'email_change_cancel', email: 'op@example.com', userId: created!.id, otherEmail: 'new@example.com' });
      await store.issueToken(signIn, null, []);
      await store.issueToken(cancel, null, []);

      const user = await store.setPassword({ userId: created!.id, passwordHash: PHC, now: T0 + MINUTE, keepSessionId: null, verifiedEmail: 'op@example.com', mail: null, events: [] });
      assert.equal(user?.emailVerified, true);
      assert.equal(await store.findSession(cookie), null);
      assert.equal(await store.findPendingSecondFactor(pending.tokenHash), null);
      assert.notEqual((await store.findToken(signIn.tokenHash))?.retiredAt, null);
      assert.equal((await store.findToken(cancel.tokenHash))?.retiredAt, null, "the owner's undo outlives a reset");
    });

    test('setPassword writes nothing for a disabled or missing account', async (store) => {
      const { user } = await signedIn(store, 'ada@example.com');
      await store.setUserDisabled(user.id, T0 + 1, T0 + 1, []);
      const mail = outboxMessage();
      assert.equal(await store.setPassword({ userId: user.id, passwordHash: PHC, now: T0 + 2, keepSessionId: null, verifiedEmail: null, mail, events: [event('password.set')] }), null);
      assert.equal(await store.setPassword({ userId: 'nobody', passwordHash: PHC, now: T0 + 2, keepSessionId: null, verifiedEmail: null, mail: null, events: [] }), null);
      assert.equal(await store.getPassword(user.id), null);
      assert.equal(await store.getOutboxMessage(mail.id), null);
      assert.deepEqual(await store.listAudit({ type: 'password.set' }), []);
    });

    test('rehashPassword replaces only the hash that was verified', async (store) => {
      const { user } = await signedIn(store, 'ada@example.com');
      await store.setPassword({ userId: user.id, passwordHash: PHC, now: T0, keepSessionId: null, verifiedEmail: null, mail: null, events: [] });
      assert.equal(await store.rehashPassword(user.id, PHC2, 'x'), false, 'not the stored hash');
      assert.equal(await store.rehashPassword(user.id, PHC, PHC2), true);
      assert.equal((await store.getPassword(user.id))?.passwordHash, PHC2);
      assert.equal((await store.getPassword(user.id))?.changedAt, T0, 'the same password: its date stays');
    });

    test('markEmailVerified only while it is the account’s address', async (store) => {
      const created = await store.createUser({ id: randomUUID(), email: 'op@example.com', now: T0 }, []);
      assert.equal(await store.markEmailVerified(created!.id, 'other@example.com', [event('email.verified')]), false);
      assert.equal(await store.markEmailVerified(created!.id, 'op@example.com', [event('email.verified')]), true);
      assert.equal((await store.findUserByEmail('op@example.com'))?.emailVerified, true);
      assert.equal((await store.listAudit({ type: 'email.verified' })).length, 1);
    });

    test('changeEmail: switches the account (verified), keeps one session, retires tokens but the cancel links', async (store) => {
      const keepHash = hash();
      const keep = await signedIn(store, 'ada@example.com', { tokenHash: keepHash });
      const other = hash();
      await signedIn(store, 'ada@example.com', { tokenHash: other });
      const confirm = tokenRecord({ purpose: 'email_change', email: 'lovelace@example.com', userId: keep.user.id, otherEmail: 'ada@example.com' });
      const cancel = tokenRecord({ purpose: 'email_change_cancel', userId: keep.user.id, otherEmail: 'lovelace@example.com' });
      const stranger = tokenRecord({ email: 'lovelace@example.com' });
      for (const token of [confirm, cancel, stranger]) await store.issueToken(token, null, []);

      const result = await store.changeEmail({ userId: keep.user.id, fromEmail: 'ada@example.com', toEmail: 'lovelace@example.com', now: T0 + MINUTE, keepSessionId: keep.session.id, events: [event('email_change.confirmed')] });
      assert.ok(result.ok);
      assert.deepEqual(result.user, { ...keep.user, email: 'lovelace@example.com', emailVerified: true });
      assert.equal(await store.findUserByEmail('ada@example.com'), null);
      assert.equal((await store.findUserByEmail('lovelace@example.com'))?.id, keep.user.id);
      assert.equal((await store.findSession(keepHash))?.user.email, 'lovelace@example.com');
      assert.deepEqual((await store.listSessions(keep.user.id, T0 + MINUTE)).map((s) => s.id), [keep.session.id]);
      assert.equal(await store.findSession(other), null);
      assert.notEqual((await store.findToken(confirm.tokenHash))?.retiredAt, null);
      assert.notEqual((await store.findToken(stranger.tokenHash))?.retiredAt, null, "a sign-in link to the new address, asked for earlier, dies");
      assert.equal((await store.findToken(cancel.tokenHash))?.retiredAt, null, 'the cancel link stays alive');
    });

    test('changeEmail refuses a taken address and a stale request, writing nothing', async (store) => {
      const ada = await signedIn(store, 'ada@example.com');
      await signedIn(store, 'bob@example.com');
      const events = [event('email_change.confirmed')];
      assert.deepEqual(
        await store.changeEmail({ userId: ada.user.id, fromEmail: 'ada@example.com', toEmail: 'bob@example.com', now: T0 + 1, keepSessionId: null, events }),
        { ok: false, reason: 'taken' },
      );
      assert.deepEqual(
        await store.changeEmail({ userId: ada.user.id, fromEmail: 'old@example.com', toEmail: 'new@example.com', now: T0 + 1, keepSessionId: null, events }),
        { ok: false, reason: 'stale' },
      );
      assert.equal((await store.findUserByEmail('ada@example.com'))?.id, ada.user.id);
      assert.equal((await store.listSessions(ada.user.id, T0 + 1)).length, 1, 'no session revoked');
      assert.deepEqual(await store.listAudit({ type: 'email_change.confirmed' }), []);
    });

    test('concurrent changes to one free address: exactly one account gets it', async (store) => {
      const users = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((name) => signedIn(store, `${name}@example.com`)));
      const results = await Promise.all(
        users.map(({ user }) => store.changeEmail({ userId: user.id, fromEmail: user.email, toEmail: 'prize@example.com', now: T0 + 1, keepSessionId: null, events: [] })),
      );
      assert.equal(results.filter((r) => r.ok).length, 1);
      assert.ok(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'taken'));
    });

    test('undoEmailChange after a confirmed change: old address back, everything signed out and retired, password and a recent TOTP removed', async (store) => {
      const { user, session } = await signedIn(store, 'ada@example.com', { tokenHash: hash() });
      await store.setPassword({ userId: user.id, passwordHash: PHC, now: T0, keepSessionId: session.id, verifiedEmail: null, mail: null, events: [] });
      await store.changeEmail({ userId: user.id, fromEmail: 'ada@example.com', toEmail: 'intruder@example.com', now: T0 + MINUTE, keepSessionId: session.id, events: [] });
      await store.startTotpEnrolment(user.id, 'sealed', T0 + 2 * MINUTE, []);
      await store.enableTotp({ userId: user.id, step: 1, now: T0 + 2 * MINUTE, recoveryCodeHashes: [hash()], events: [] });
      const cancel = tokenRecord({ purpose: 'email_change_cancel', userId: user.id, otherEmail: 'intruder@example.com', createdAt: T0 + 3 * MINUTE });
      await store.issueToken(cancel, null, []);

      const undone = await store.undoEmailChange({
        userId: user.id,
        restoreEmail: 'ada@example.com',
        cancelIssuedAt: T0 + MINUTE,
        removeSecondFactorsSince: T0 + MINUTE,
        now: T0 + 4 * MINUTE,
        events: [event('email_change.cancelled')],
      });
      assert.deepEqual(undone && { ...undone, user: undone.user.email }, { user: 'ada@example.com', restored: true, passwordRemoved: true, totpRemoved: true, passkeysRemoved: 0 });
      assert.equal((await store.findUserByEmail('ada@example.com'))?.id, user.id);
      assert.deepEqual(await store.listSessions(user.id, T0 + 4 * MINUTE), []);
      assert.equal(await store.getPassword(user.id), null);
      assert.equal(await store.getTotp(user.id), null);
      assert.equal(await store.countRecoveryCodes(user.id), 0);
      assert.notEqual((await store.findToken(cancel.tokenHash))?.retiredAt, null, 'other cancel links die too');
      assert.equal((await store.listAudit({ type: 'email_change.cancelled' }))[0]?.userId, user.id);
    });

    test('undoEmailChange after a chain of changes: back to the link\'s address from the last one; earlier cancel links live, later ones die', async (store) => {
      const { user } = await signedIn(store, 'ada@example.com');
      await store.changeEmail({ userId: user.id, fromEmail: 'ada@example.com', toEmail: 'a1@example.com', now: T0 + MINUTE, keepSessionId: null, events: [] });
      await store.changeEmail({ userId: user.id, fromEmail: 'a1@example.com', toEmail: 'a2@example.com', now: T0 + 3 * MINUTE, keepSessionId: null, events: [] });
      const first = tokenRecord({ purpose: 'email_change_cancel', email: 'ada@example.com', userId: user.id, otherEmail: 'a1@example.com', createdAt: T0 });
      const second = tokenRecord({ purpose: 'email_change_cancel', email: 'a1@example.com', userId: user.id, otherEmail: 'a2@example.com', createdAt: T0 + 2 * MINUTE });
      await store.issueToken(first, null, []);
      await store.issueToken(second, null, []);
      // The later link (to a1) is used first: back to a1, and the first owner's link survives it.
      const later = await store.undoEmailChange({ userId: user.id, restoreEmail: 'a1@example.com', cancelIssuedAt: second.createdAt, removeSecondFactorsSince: T0, now: T0 + 4 * MINUTE, events: [] });
      assert.deepEqual(later && [later.user.email, later.restored], ['a1@example.com', true]);
      assert.equal((await store.findToken(first.tokenHash))?.retiredAt, null, 'an earlier owner\'s link stays alive');
      const earlier = await store.undoEmailChange({ userId: user.id, restoreEmail: 'ada@example.com', cancelIssuedAt: first.createdAt, removeSecondFactorsSince: T0, now: T0 + 5 * MINUTE, events: [] });
      assert.deepEqual(earlier && [earlier.user.email, earlier.restored], ['ada@example.com', true]);
    });

    test('undoEmailChange before confirmation keeps the address and an older TOTP; with the old address taken it still signs out', async (store) => {
      const { user } = await signedIn(store, 'ada@example.com');
      await store.startTotpEnrolment(user.id, 'sealed', T0, []);
      await store.enableTotp({ userId: user.id, step: 1, now: T0, recoveryCodeHashes: [hash()], events: [] });
      const pendingConfirm = tokenRecord({ purpose: 'email_change', email: 'new@example.com', userId: user.id, otherEmail: 'ada@example.com' });
      await store.issueToken(pendingConfirm, null, []);
      const undone = await store.undoEmailChange({ userId: user.id, restoreEmail: 'ada@example.com', cancelIssuedAt: T0, removeSecondFactorsSince: T0 + MINUTE, now: T0 + 2 * MINUTE, events: [] });
      assert.deepEqual(undone && [undone.user.email, undone.restored, undone.totpRemoved], ['ada@example.com', false, false]);
      assert.notEqual(await store.getTotp(user.id), null, "the owner's own second factor stays");
      assert.notEqual((await store.findToken(pendingConfirm.tokenHash))?.retiredAt, null, 'the pending confirmation dies');

      const bob = await signedIn(store, 'bob@example.com');
      await store.changeEmail({ userId: bob.user.id, fromEmail: 'bob@example.com', toEmail: 'bobby@example.com', now: T0 + 3 * MINUTE, keepSessionId: null, events: [] });
      await signedIn(store, 'bob@example.com', { createdAt: T0 + 4 * MINUTE }); // someone else takes the old address
      const blocked = await store.undoEmailChange({ userId: bob.user.id, restoreEmail: 'bob@example.com', cancelIssuedAt: T0 + 3 * MINUTE, removeSecondFactorsSince: T0, now: T0 + 5 * MINUTE, events: [] });
      assert.deepEqual(blocked && [blocked.user.email, blocked.restored], ['bobby@example.com', false]);
      assert.equal(await store.undoEmailChange({ userId: 'nobody', restoreEmail: 'x@example.com', cancelIssuedAt: T0, removeSecondFactorsSince: T0, now: T0, events: [] }), null);
    });

    test('reauthenticateSession moves authenticatedAt for the owner’s live session only', async (store) => {
      const tokenHash = hash();
      const { user, session } = await signedIn(store, 'ada@example.com', { tokenHash });
      assert.equal(session.authenticatedAt, session.createdAt);
      assert.equal(await store.reauthenticateSession(session.id, 'someone-else', T0 + MINUTE, []), false);
      assert.equal(await store.reauthenticateSession(session.id, user.id, T0 + MINUTE, [event('session.reauthenticated')]), true);
      assert.equal((await store.findSession(tokenHash))?.session.authenticatedAt, T0 + MINUTE);
      await store.revokeSession(session.id, user.id, T0 + 2 * MINUTE, []);
      assert.equal(await store.reauthenticateSession(session.id, user.id, T0 + 3 * MINUTE, []), false);
    });
  });
}
