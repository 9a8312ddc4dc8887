// Passkey storage as an attacker sees it (issue #17): a credential ID belongs
// to one account in the deployment, a challenge answers once and only for the
// browser that asked, a signature counter never goes back, and nobody renames
// or removes another account's passkey.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe } from 'node:test';
import type { Passkey, PasskeyChallenge } from '../passkey-store.ts';
import type { OidcRecord } from '../oidc-store.ts';
import { event, hash, MINUTE, signedIn, T0, tokenRecord, withoutId, type StoreTest } from './fixtures.ts';

const PHC = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';

/** An app's refresh token (offline_access) of this account. */
function refreshToken(accountId: string): OidcRecord {
  return { model: 'RefreshToken', idHash: hash(), payload: 'sealed', grantId: hash(), clientId: 'cli', accountId, uid: null, userCodeHash: null, expiresAt: T0 + 60 * MINUTE };
}

function passkey(userId: string, fields: Partial<Passkey> = {}): Passkey {
  return {
    id: randomUUID(),
    userId,
    credentialId: hash(),
    publicKey: hash(),
    counter: 0,
    transports: ['internal', 'hybrid'],
    deviceType: 'multiDevice',
    backedUp: true,
    aaguid: '00000000-0000-0000-0000-000000000000',
    name: 'Chrome on Linux',
    createdAt: T0,
    lastUsedAt: null,
    ...fields,
  };
}

function challenge(fields: Partial<PasskeyChallenge> = {}): PasskeyChallenge {
  return {
    browserHash: hash(),
    ceremony: 'authentication',
    challengeHash: hash(),
    userId: null,
    sessionId: null,
    createdAt: T0,
    expiresAt: T0 + 5 * MINUTE,
    ...fields,
  };
}

export function passkeyCases(test: StoreTest): void {
  describe('passkeys', () => {
    test('a registered passkey is found by its credential ID, with its account, and listed', async (store) => {
      const { user } = await signedIn(store, 'ada@example.com');
      const key = passkey(user.id, { counter: 7, backedUp: false, deviceType: 'singleDevice' });
      assert.equal(await store.addPasskey(key, [event('passkey.registered', { userId: user.id })]), 'added');
      const found = await store.findPasskeyByCredentialId(key.credentialId);
      assert.deepEqual(found?.passkey, key);
      assert.equal(found?.user.id, user.id);
      assert.equal(found?.user.email, 'ada@example.com');
      assert.deepEqual(await store.listPasskeys(user.id), [key]);
      assert.deepEqual((await store.listAudit({ type: 'passkey.registered' })).map(withoutId), [event('passkey.registered', { userId: user.id })]);
      assert.equal(await store.findPasskeyByCredentialId(hash()), null);
    });

    test('a registration guarded by its session: none written once that session is revoked or at the cap (review round 2, finding 7)', async (store) => {
      const { user, session } = await signedIn(store, 'ada@example.com');
      const guard = { sessionId: session.id, now: T0, maxPasskeys: 2 };
      assert.equal(await store.addPasskey(passkey(user.id), [], guard), 'added');
      assert.equal(await store.addPasskey(passkey(user.id), [], guard), 'added');
      assert.equal(await store.addPasskey(passkey(user.id), [event('passkey.registered', { userId: user.id })], guard), 'limit_reached');
      assert.equal(await store.addPasskey(passkey(user.id), [], { ...guard, maxPasskeys: 3, sessionId: hash() }), 'session_gone', "another account's or an unknown session");
      await store.revokeUserSessions(user.id, T0, []);
      assert.equal(await store.addPasskey(passkey(user.id), [], { ...guard, maxPasskeys: 3 }), 'session_gone');
      assert.equal((await store.listPasskeys(user.id)).length, 2);
      assert.deepEqual(await store.listAudit({ type: 'passkey.registered' }), []);
    });

    test('a credential ID is registered once in the deployment: another account cannot take it over', async (store) => {
      const ada = (await signedIn(store, 'ada@example.com')).user;
      const eve = (await signedIn(store, 'eve@example.com')).user;
      const key = passkey(ada.id);
      assert.equal(await store.addPasskey(key, []), 'added');
      const stolen = passkey(eve.id, { credentialId: key.credentialId, publicKey: hash() });
      assert.equal(await store.addPasskey(stolen, [event('passkey.registered', { userId: eve.id })]), 'exists');
      assert.equal((await store.findPasskeyByCredentialId(key.credentialId))?.user.id, ada.id);
      assert.deepEqual(await store.listPasskeys(eve.id), []);
      assert.deepEqual(await store.listAudit({ type: 'passkey.registered' }), []);
    });

    test('the counter moves forward only; a regression writes nothing', async (store) => {
      const { user } = await signedIn(store, 'ada@example.com');
      const key = passkey(user.id, { counter: 5 });
      await store.addPasskey(key, []);
      assert.equal(await store.usePasskey({ id: key.id, counter: 6, backedUp: true, now: T0 + MINUTE }), true);
      assert.equal(await store.usePasskey({ id: key.id, counter: 6, backedUp: true, now: T0 + 2 * MINUTE }), false);
      assert.equal(await store.usePasskey({ id: key.id, counter: 3, backedUp: true, now: T0 + 2 * MINUTE }), false);
      const stored = (await store.findPasskeyByCredentialId(key.credentialId))?.passkey;
      assert.equal(stored?.counter, 6);
      assert.equal(stored?.lastUsedAt, T0 + MINUTE);
    });

    test('an authenticator without a counter (always 0) signs in every time', async (store) => {
      const { user } = await signedIn(store, 'ada@example.com');
      const key = passkey(user.id, { counter: 0, backedUp: false });
      await store.addPasskey(key, []);
      assert.equal(await store.usePasskey({ id: key.id, counter: 0, backedUp: true, now: T0 + MINUTE }), true);
      assert.equal(await store.usePasskey({ id: key.id, counter: 0, backedUp: true, now: T0 + 2 * MINUTE }), true);
      const stored = (await store.findPasskeyByCredentialId(key.credentialId))?.passkey;
      assert.equal(stored?.backedUp, true);
      assert.equal(stored?.lastUsedAt, T0 + 2 * MINUTE);
    });

    test('rename and remove touch only the account\'s own passkey', async (store) => {
      const ada = (await signedIn(store, 'ada@example.com')).user;
      const eve = (await signedIn(store, 'eve@example.com')).user;
      const key = passkey(ada.id);
      await store.addPasskey(key, []);
      assert.equal(await store.renamePasskey(eve.id, key.id, 'mine now', []), false);
      assert.equal(await store.removePasskey(eve.id, key.id, [event('passkey.removed', { userId: eve.id })]), 'not_found');
      assert.equal(await store.renamePasskey(ada.id, key.id, 'Laptop', []), true);
      assert.equal((await store.listPasskeys(ada.id))[0]?.name, 'Laptop');
      assert.equal(await store.removePasskey(ada.id, key.id, [event('passkey.removed', { userId: ada.id })]), 'removed');
      assert.equal(await store.removePasskey(ada.id, key.id, []), 'not_found');
      assert.deepEqual(await store.listPasskeys(ada.id), []);
      assert.equal(await store.findPasskeyByCredentialId(key.credentialId), null);
      assert.deepEqual((await store.listAudit({ type: 'passkey.removed' })).map((e) => e.userId), [ada.id]);
    });

    test('email sign-in asking for a passkey: only with one, and its last one cannot be removed (unless TOTP is on)', async (store) => {
      const { user } = await signedIn(store, 'ada@example.com');
      assert.deepEqual(await store.getPasskeySettings(user.id), { emailSignInRequiresPasskey: false, passkeys: 0, totpEnabled: false });
      assert.equal(await store.setEmailSignInRequiresPasskey(user.id, true, [event('passkey.settings_changed')]), false, 'no passkey yet');
      const first = passkey(user.id);
      const second = passkey(user.id, { createdAt: T0 + MINUTE });
      await store.addPasskey(first, []);
      await store.addPasskey(second, []);
      assert.equal(await store.setEmailSignInRequiresPasskey(user.id, true, [event('passkey.settings_changed', { userId: user.id })]), true);
      assert.equal(await store.setEmailSignInRequiresPasskey(user.id, true, []), false, 'unchanged');
      assert.deepEqual(await store.getPasskeySettings(user.id), { emailSignInRequiresPasskey: true, passkeys: 2, totpEnabled: false });
      // Two removals racing for the last two: one of them must be refused.
      const results = await Promise.all([store.removePasskey(user.id, first.id, []), store.removePasskey(user.id, second.id, [])]);
      assert.deepEqual([...results].sort(), ['last_way_in', 'removed']);
      assert.equal((await store.listPasskeys(user.id)).length, 1);
      assert.equal(await store.startTotpEnrolment(user.id, 'sealed', T0, []), true);
      assert.equal(await store.enableTotp({ userId: user.id, step: 1, now: T0, recoveryCodeHashes: [], events: [] }), true);
      const last = (await store.listPasskeys(user.id))[0]!;
      assert.equal(await store.removePasskey(user.id, last.id, []), 'removed', 'TOTP still answers the email sign-in');
      assert.equal((await store.listAudit({ type: 'passkey.settings_changed' })).length, 1);
    });

    test('"this wasn\'t me" deletes every passkey of the account, older ones too, and drops the requirement with them', async (store) => {
      const { user, session } = await signedIn(store, 'ada@example.com');
      const owners = passkey(user.id, { createdAt: T0 - 60 * MINUTE });
      await store.addPasskey(owners, []);
      await store.changeEmail({ userId: user.id, fromEmail: 'ada@example.com', toEmail: 'intruder@example.com', now: T0 + MINUTE, keepSessionId: session.id, events: [] });
      const intruders = passkey(user.id, { createdAt: T0 + 2 * MINUTE });
      await store.addPasskey(intruders, []);
      const undo = { userId: user.id, restoreEmail: 'ada@example.com', cancelIssuedAt: T0, removeSecondFactorsSince: T0 - 10 * MINUTE, now: T0 + 3 * MINUTE, events: [] };
      const undone = await store.undoEmailChange(undo);
      assert.equal(undone?.passkeysRemoved, 2);
      assert.deepEqual(await store.listPasskeys(user.id), [], 'a passkey signs in alone, whoever added it and whenever');
      assert.equal(await store.findPasskeyByCredentialId(intruders.credentialId), null);
      assert.equal(await store.findPasskeyByCredentialId(owners.credentialId), null);

      // An account with only the intruder's passkey, and email sign-in set to ask for one.
      const bob = (await signedIn(store, 'bob@example.com')).user;
      await store.changeEmail({ userId: bob.id, fromEmail: 'bob@example.com', toEmail: 'bobby@example.com', now: T0 + MINUTE, keepSessionId: null, events: [] });
      await store.addPasskey(passkey(bob.id, { createdAt: T0 + 2 * MINUTE }), []);
      assert.equal(await store.setEmailSignInRequiresPasskey(bob.id, true, []), true);
      const bobUndone = await store.undoEmailChange({ ...undo, userId: bob.id, restoreEmail: 'bob@example.com' });
      assert.equal(bobUndone?.passkeysRemoved, 1);
      assert.deepEqual(await store.getPasskeySettings(bob.id), { emailSignInRequiresPasskey: false, passkeys: 0, totpEnabled: false });
      // No passkey left: nothing removed, and the setting (without a passkey or TOTP) is not in force.
      assert.equal((await store.undoEmailChange({ ...undo, now: T0 + 4 * MINUTE }))?.passkeysRemoved, 0);
      assert.deepEqual(await store.getPasskeySettings(user.id), { emailSignInRequiresPasskey: false, passkeys: 0, totpEnabled: false });
    });

    test('"this wasn\'t me" revokes the account\'s app tokens, and drops a passkey requirement only the intruder\'s TOTP held', async (store) => {
      const { user } = await signedIn(store, 'ada@example.com');
      await store.changeEmail({ userId: user.id, fromEmail: 'ada@example.com', toEmail: 'intruder@example.com', now: T0 + MINUTE, keepSessionId: null, events: [] });
      const key = passkey(user.id, { createdAt: T0 + 2 * MINUTE });
      await store.addPasskey(key, []);
      assert.equal(await store.setEmailSignInRequiresPasskey(user.id, true, []), true);
      await store.startTotpEnrolment(user.id, 'sealed', T0 + 2 * MINUTE, []);
      await store.enableTotp({ userId: user.id, step: 1, now: T0 + 2 * MINUTE, recoveryCodeHashes: [], events: [] });
      assert.equal(await store.removePasskey(user.id, key.id, []), 'removed', 'TOTP holds the requirement');
      const app = refreshToken(user.id);
      await store.upsertOidcRecord(app);
      const undone = await store.undoEmailChange({ userId: user.id, restoreEmail: 'ada@example.com', cancelIssuedAt: T0, removeSecondFactorsSince: T0, now: T0 + 3 * MINUTE, events: [] });
      assert.deepEqual(undone && [undone.totpRemoved, undone.passkeysRemoved], [true, 0]);
      assert.deepEqual(await store.getPasskeySettings(user.id), { emailSignInRequiresPasskey: false, passkeys: 0, totpEnabled: false });
      assert.equal(await store.findOidcRecord('RefreshToken', app.idHash, T0), null);
    });

    test('the operator\'s sign-out everywhere revokes the account\'s app tokens too (another account\'s stay)', async (store) => {
      const { user } = await signedIn(store, 'ada@example.com');
      const eve = (await signedIn(store, 'eve@example.com')).user;
      const app = refreshToken(user.id);
      const evesApp = refreshToken(eve.id);
      await store.upsertOidcRecord(app);
      await store.upsertOidcRecord(evesApp);
      assert.equal(await store.revokeUserSessions(user.id, T0 + MINUTE, []), 1);
      assert.equal(await store.findOidcRecord('RefreshToken', app.idHash, T0), null);
      assert.notEqual(await store.findOidcRecord('RefreshToken', evesApp.idHash, T0), null);
    });

    test('the operator\'s reset takes every second factor and session away, so an email link signs in alone', async (store) => {
      const { user } = await signedIn(store, 'ada@example.com');
      await signedIn(store, 'ada@example.com');
      await store.addPasskey(passkey(user.id), []);
      await store.addPasskey(passkey(user.id, { createdAt: T0 + MINUTE }), []);
      await store.setEmailSignInRequiresPasskey(user.id, true, []);
      await store.startTotpEnrolment(user.id, 'sealed', T0, []);
      await store.enableTotp({ userId: user.id, step: 1, now: T0, recoveryCodeHashes: [hash(), hash()], events: [] });
      const eve = (await signedIn(store, 'eve@example.com')).user;
      const evesKey = passkey(eve.id);
      await store.addPasskey(evesKey, []);

      await store.setPassword({ userId: user.id, passwordHash: PHC, now: T0, keepSessionId: null, verifiedEmail: null, mail: null, events: [] });
      await signedIn(store, 'ada@example.com');
      await signedIn(store, 'ada@example.com');
      const link = tokenRecord({ purpose: 'password_reset', userId: user.id });
      await store.issueToken(link, null, []);
      const app = refreshToken(user.id);
      await store.upsertOidcRecord(app);
      const evesApp = refreshToken(eve.id);
      await store.upsertOidcRecord(evesApp);

      const reset = await store.resetSecondFactors(user.id, T0 + 2 * MINUTE, [event('second_factor.reset', { reason: 'cli' })]);
      assert.deepEqual(reset && { ...reset, user: reset.user.email }, { user: 'ada@example.com', totpRemoved: true, passkeysRemoved: 2, passwordRemoved: true, sessionsRevoked: 2 });
      assert.equal(await store.getPassword(user.id), null, 'the password the second factors guarded goes too');
      assert.notEqual((await store.findToken(link.tokenHash))?.retiredAt, null, 'a link mailed before the reset is retired');
      assert.equal(await store.findOidcRecord('RefreshToken', app.idHash, T0), null, "an app's refresh token is revoked");
      assert.notEqual(await store.findOidcRecord('RefreshToken', evesApp.idHash, T0), null, "another account's app keeps its token");
      assert.equal(await store.getTotp(user.id), null);
      assert.equal(await store.countRecoveryCodes(user.id), 0);
      assert.deepEqual(await store.getPasskeySettings(user.id), { emailSignInRequiresPasskey: false, passkeys: 0, totpEnabled: false });
      assert.deepEqual(await store.listSessions(user.id, T0 + 2 * MINUTE), []);
      assert.deepEqual((await store.listAudit({ type: 'second_factor.reset' })).map((e) => [e.userId, e.reason]), [[user.id, 'cli']]);
      assert.deepEqual((await store.listPasskeys(eve.id)).map((p) => p.id), [evesKey.id], 'another account is untouched');
      const again = await store.resetSecondFactors(user.id, T0 + 3 * MINUTE, []);
      assert.deepEqual(again && [again.totpRemoved, again.passkeysRemoved, again.passwordRemoved, again.sessionsRevoked], [false, 0, false, 0]);
      assert.equal(await store.resetSecondFactors('nobody', T0, []), null);
    });

    test('a challenge is taken once, only by the browser and ceremony that asked', async (store) => {
      const asked = challenge();
      await store.savePasskeyChallenge(asked);
      assert.equal(await store.takePasskeyChallenge(hash(), 'authentication'), null);
      assert.equal(await store.takePasskeyChallenge(asked.browserHash, 'registration'), null);
      const [first, second] = await Promise.all([
        store.takePasskeyChallenge(asked.browserHash, 'authentication'),
        store.takePasskeyChallenge(asked.browserHash, 'authentication'),
      ]);
      assert.deepEqual([first, second].filter(Boolean), [asked]);
    });

    test('a new challenge of the same browser replaces the old one; expired ones are dropped', async (store) => {
      const { user, session } = await signedIn(store, 'ada@example.com');
      const old = challenge({ ceremony: 'registration', userId: user.id, sessionId: session.id });
      await store.savePasskeyChallenge(old);
      const stale = challenge({ createdAt: T0 - 10 * MINUTE, expiresAt: T0 - 5 * MINUTE });
      await store.savePasskeyChallenge(stale);
      const fresh = { ...old, challengeHash: hash(), createdAt: T0 + MINUTE, expiresAt: T0 + 6 * MINUTE };
      await store.savePasskeyChallenge(fresh);
      assert.deepEqual(await store.takePasskeyChallenge(old.browserHash, 'registration'), fresh);
      // Saved before a later save ran its sweep: gone although nobody asked for it.
      assert.equal(await store.takePasskeyChallenge(stale.browserHash, 'authentication'), null);
    });

    test('an account\'s passkeys are listed oldest first', async (store) => {
      const { user } = await signedIn(store, 'ada@example.com');
      const key = passkey(user.id);
      await store.addPasskey(key, []);
      const other = passkey(user.id, { createdAt: T0 + MINUTE, name: 'Phone' });
      await store.addPasskey(other, []);
      assert.deepEqual((await store.listPasskeys(user.id)).map((p) => p.name), ['Chrome on Linux', 'Phone']);
      assert.equal((await store.findPasskeyByCredentialId(other.credentialId))?.passkey.name, 'Phone');
    });
  });
}
