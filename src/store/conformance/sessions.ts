// Users and sessions: one account per address however sign-ins race, closed
// signup that creates nothing, sessions only their owner can revoke.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe } from 'node:test';
import { event, hash, MINUTE, newSession, signedIn, signInInput, T0, tokenRecord, withoutId, type StoreTest } from './fixtures.ts';

export function sessionCases(test: StoreTest): void {
  describe('users and sign-in', () => {
    test('listUsers pages through every account by address, each page after the last address of the one before (issue #12)', async (store) => {
      const emails = ['c@example.com', 'a@example.com', 'e@example.com', 'b@example.com', 'd@example.com'];
      for (const email of emails) await store.createUser({ id: randomUUID(), email, now: T0 }, []);
      const first = await store.listUsers({ limit: 2, afterEmail: null });
      assert.deepEqual(first.map((u) => u.email), ['a@example.com', 'b@example.com']);
      assert.deepEqual(first[0] && { ...first[0], id: 'x' }, { id: 'x', email: 'a@example.com', emailVerified: false, createdAt: T0, disabled: false });
      const second = await store.listUsers({ limit: 2, afterEmail: 'b@example.com' });
      assert.deepEqual(second.map((u) => u.email), ['c@example.com', 'd@example.com']);
      // An account created between two pages lands in its place, and nothing is listed twice.
      await store.createUser({ id: randomUUID(), email: 'da@example.com', now: T0 }, []);
      assert.deepEqual((await store.listUsers({ limit: 2, afterEmail: 'd@example.com' })).map((u) => u.email), ['da@example.com', 'e@example.com']);
      assert.deepEqual(await store.listUsers({ limit: 2, afterEmail: 'e@example.com' }), []);
    });

    test('an operator creates, disables and enables accounts; a disabled account has no session, no sign-in and no live token', async (store) => {
      const created = await store.createUser({ id: randomUUID(), email: 'op@example.com', now: T0 }, [event('user.created', { reason: 'cli' })]);
      assert.deepEqual(created && { ...created, id: 'x' }, { id: 'x', email: 'op@example.com', emailVerified: false, createdAt: T0, disabled: false });
      assert.equal(await store.createUser({ id: randomUUID(), email: 'op@example.com', now: T0 }, []), null, 'one account per address');

      const cookieHash = hash();
      await signedIn(store, 'op@example.com', { tokenHash: cookieHash });
      assert.ok(await store.findSession(cookieHash));
      const token = tokenRecord({ email: 'op@example.com', userId: created!.id });
      await store.issueToken(token, null, []);

      assert.equal(await store.setUserDisabled(created!.id, T0 + MINUTE, T0 + MINUTE, [event('user.disabled', { reason: 'cli' })]), true);
      assert.equal(await store.setUserDisabled(created!.id, T0 + 2 * MINUTE, T0 + 2 * MINUTE, []), false, 'already disabled: nothing written');
      assert.equal((await store.findUserByEmail('op@example.com'))?.disabled, true);
      assert.equal(await store.findSession(cookieHash), null, 'the session no longer answers');
      assert.deepEqual(await store.listSessions(created!.id, T0 + MINUTE), [], 'every session revoked');
      assert.notEqual((await store.findToken(token.tokenHash))?.retiredAt, null, 'unused tokens retired');
      assert.equal(await store.signIn(signInInput({ email: 'op@example.com', now: T0 + MINUTE })), null, 'no sign-in while disabled');

      assert.equal(await store.setUserDisabled(created!.id, null, T0 + 3 * MINUTE, [event('user.enabled', { reason: 'cli' })]), true);
      assert.ok(await store.signIn(signInInput({ email: 'op@example.com', now: T0 + 3 * MINUTE })), 'enabled again');
      assert.equal(await store.revokeUserSessions(created!.id, T0 + 4 * MINUTE, [event('session.revoked', { reason: 'cli' })]), 1);
      assert.deepEqual(
        (await store.listAudit({ userId: created!.id })).map((e) => e.type).filter((t) => t.startsWith('user.') || t === 'session.revoked'),
        ['session.revoked', 'user.enabled', 'user.disabled', 'user.created'],
      );
    });

    test('sign-ins racing a disabling: no session of the account is left live (none comes alive on enable)', async (store) => {
      // (A sign-in after a sign-out everywhere is a new, rightful session: only the disabling refuses what follows it.)
      const email = 'race-signin@example.com';
      const { user } = await signedIn(store, email);
      const signIns = Array.from({ length: 12 }, () => store.signIn(signInInput({ email, userId: user.id, now: T0, session: newSession() })));
      const end = store.setUserDisabled(user.id, T0 + MINUTE, T0 + MINUTE, []);
      await Promise.all([...signIns.slice(0, 6), end, ...signIns.slice(6)]);
      assert.deepEqual(await store.listSessions(user.id, T0 + MINUTE), [], 'a session created in the race outlived the disabling');
    });

    test('the first sign-in creates a verified user, the session and the events', async (store) => {
      const input = signInInput({
        events: [event('session.created'), event('sign_in.succeeded', { userId: 'already-known' })],
      });
      const result = await store.signIn(input);
      assert.ok(result);
      assert.equal(result.createdUser, true);
      assert.deepEqual(result.user, { id: input.newUserId, email: input.email, emailVerified: true, createdAt: input.now, disabled: false });
      const { tokenHash: _hash, ...session } = input.session;
      assert.deepEqual(result.session, { ...session, userId: input.newUserId, lastSeenAt: input.session.createdAt, authenticatedAt: input.session.createdAt });
      assert.deepEqual(await store.findUserByEmail(input.email), result.user);
      assert.deepEqual(await store.findSession(input.session.tokenHash), { session: result.session, user: result.user });
      const audit = (await store.listAudit({})).map(withoutId).reverse();
      assert.deepEqual(audit, [{ ...input.events[0], userId: input.newUserId }, input.events[1]]);
    });

    test('later sign-ins, by address or by user id, find the same user', async (store) => {
      const first = await signedIn(store, 'ada@example.com');
      const byEmail = await store.signIn(signInInput({ now: T0 + MINUTE }));
      const byId = await store.signIn(signInInput({ userId: first.user.id, now: T0 + 2 * MINUTE }));
      for (const again of [byEmail, byId]) {
        assert.equal(again?.user.id, first.user.id);
        assert.equal(again?.createdUser, false);
      }
      assert.equal((await store.listSessions(first.user.id, T0 + 3 * MINUTE)).length, 3);
    });

    test('concurrent first sign-ins with one address end with one user', async (store) => {
      const results = await Promise.all(Array.from({ length: 10 }, () => store.signIn(signInInput())));
      const ids = new Set(results.map((r) => r?.user.id));
      assert.equal(ids.size, 1);
      assert.equal(results.filter((r) => r?.createdUser).length, 1);
      const [userId] = ids;
      assert.equal((await store.listSessions(userId ?? '', T0)).length, 10);
    });

    test('closed signup: an unknown address gets null, no user, no session, but the events', async (store) => {
      const input = signInInput({ allowSignup: false, email: 'stranger@example.com', events: [event('sign_in.failed', { email: 'stranger@example.com' })] });
      assert.equal(await store.signIn(input), null);
      assert.equal(await store.findUserByEmail(input.email), null);
      assert.equal(await store.findSession(input.session.tokenHash), null);
      assert.deepEqual((await store.listAudit({ email: input.email })).map(withoutId), input.events);
    });

    test('closed signup still signs in an existing user', async (store) => {
      const first = await signedIn(store, 'ada@example.com');
      const again = await store.signIn(signInInput({ allowSignup: false, now: T0 + MINUTE }));
      assert.equal(again?.user.id, first.user.id);
      assert.equal(again?.createdUser, false);
    });

    test('signIn is all or nothing: a clashing session leaves no new user behind', async (store) => {
      const first = await signedIn(store, 'ada@example.com');
      const clash = signInInput({ email: 'bob@example.com', session: newSession({ id: first.session.id }), events: [event('session.created')] });
      await assert.rejects(store.signIn(clash));
      assert.equal(await store.findUserByEmail('bob@example.com'), null);
      assert.deepEqual(await store.listAudit({}), []);
    });

    test('findUserByEmail of an unknown address is null', async (store) => {
      await signedIn(store, 'ada@example.com');
      assert.equal(await store.findUserByEmail('bob@example.com'), null);
    });
  });

  describe('sessions', () => {
    test('findSession returns the unrevoked session and its user; expiry is left to the caller', async (store) => {
      const tokenHash = hash();
      const expired = await signedIn(store, 'ada@example.com', { tokenHash, createdAt: T0, expiresAt: T0 + 1 });
      assert.deepEqual(await store.findSession(tokenHash), { session: expired.session, user: expired.user });
      assert.equal(await store.findSession(hash()), null);
    });

    test('a session keeps how it was signed in, in order, in findSession and listSessions', async (store) => {
      const tokenHash = hash();
      const { session, user } = await signedIn(store, 'ada@example.com', { tokenHash, amr: ['pwd', 'otp'] });
      assert.deepEqual(session.amr, ['pwd', 'otp']);
      assert.deepEqual((await store.findSession(tokenHash))?.session.amr, ['pwd', 'otp']);
      assert.deepEqual((await store.listSessions(user.id, T0)).map((s) => s.amr), [['pwd', 'otp']]);
    });

    test('touchSession sets lastSeenAt', async (store) => {
      const tokenHash = hash();
      const { session } = await signedIn(store, 'ada@example.com', { tokenHash });
      await store.touchSession(session.id, T0 + 5 * MINUTE);
      assert.deepEqual((await store.findSession(tokenHash))?.session, { ...session, lastSeenAt: T0 + 5 * MINUTE });
    });

    test('listSessions: the user\'s unrevoked, unexpired sessions, newest first', async (store) => {
      const now = T0 + 10 * MINUTE;
      const s1 = await signedIn(store, 'ada@example.com', { createdAt: T0 });
      const s2 = await signedIn(store, 'ada@example.com', { createdAt: T0 + MINUTE });
      await signedIn(store, 'ada@example.com', { createdAt: T0 + 2 * MINUTE, expiresAt: now });
      const revoked = await signedIn(store, 'ada@example.com', { createdAt: T0 + 3 * MINUTE });
      await signedIn(store, 'bob@example.com', { createdAt: T0 + 4 * MINUTE });
      assert.equal(await store.revokeSession(revoked.session.id, revoked.user.id, now, []), true);
      const listed = await store.listSessions(s1.user.id, now);
      assert.deepEqual(listed, [s2.session, s1.session]);
      assert.deepEqual(await store.listSessions(randomUUID(), now), []);
    });

    test('revokeSession: only by its owner, only once', async (store) => {
      const tokenHash = hash();
      const ada = await signedIn(store, 'ada@example.com', { tokenHash });
      const bob = await signedIn(store, 'bob@example.com');
      const revokedEvent = [event('session.revoked', { userId: ada.user.id })];
      assert.equal(await store.revokeSession(ada.session.id, bob.user.id, T0 + 1, revokedEvent), false);
      assert.ok(await store.findSession(tokenHash), 'another user cannot revoke it');
      assert.equal(await store.revokeSession(ada.session.id, ada.user.id, T0 + 2, revokedEvent), true);
      assert.equal(await store.findSession(tokenHash), null);
      assert.equal(await store.revokeSession(ada.session.id, ada.user.id, T0 + 3, revokedEvent), false);
      assert.equal(await store.revokeSession(randomUUID(), ada.user.id, T0 + 4, revokedEvent), false);
      assert.deepEqual(await store.listSessions(ada.user.id, T0 + 5), []);
      assert.equal((await store.listAudit({ type: 'session.revoked' })).length, 1, 'an event only for the revocation that happened');
    });
  });
}
