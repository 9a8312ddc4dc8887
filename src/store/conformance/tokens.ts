// One-time tokens as an attacker sees them: single use however many requests
// race, attempt caps that hold under parallel guesses, older links dead.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { event, hash, MINUTE, outboxMessage, T0, tokenRecord, withoutId, type StoreTest } from './fixtures.ts';

const MAX = 5;

export function tokenCases(test: StoreTest): void {
  describe('one-time tokens', () => {
    test('issueToken stores the record as given; findToken reads it without consuming', async (store) => {
      const token = tokenRecord({ userId: 'user-1', redirectTo: null, flowHash: null });
      await store.issueToken(token, null, []);
      assert.deepEqual(await store.findToken(token.tokenHash), token);
      assert.deepEqual(await store.findToken(token.tokenHash), token);
      assert.equal(await store.findToken(hash()), null);
      assert.deepEqual(await store.claimOutbox('w', T0 + MINUTE, 10, MINUTE), [], 'no mail row without a message');
    });

    test('issueToken commits the outbox row and the events with the token', async (store) => {
      const token = tokenRecord();
      const mail = outboxMessage({ createdAt: token.createdAt });
      const events = [event('sign_in.requested', { email: token.email, requestId: mail.requestId })];
      await store.issueToken(token, mail, events);
      assert.deepEqual(await store.getOutboxMessage(mail.id), {
        ...mail,
        status: 'queued',
        attempts: 0,
        nextAttemptAt: mail.createdAt,
        lastError: null,
        sentAt: null,
      });
      assert.deepEqual((await store.listAudit({})).map(withoutId), events);
    });

    test('issueToken is all or nothing: a failing insert leaves no token and retires nothing', async (store) => {
      const first = tokenRecord();
      const mail = outboxMessage();
      await store.issueToken(first, mail, []);
      const second = tokenRecord({ createdAt: T0 + 1000 });
      await assert.rejects(store.issueToken(second, outboxMessage({ id: mail.id }), [event('sign_in.requested')]));
      assert.equal(await store.findToken(second.tokenHash), null);
      assert.equal((await store.findToken(first.tokenHash))?.retiredAt, null);
      assert.deepEqual(await store.listAudit({}), []);
      const consumed = await store.consumeToken({ lookup: { tokenHash: first.tokenHash }, purpose: 'sign_in', now: T0 + 2000, attemptLimit: MAX });
      assert.equal(consumed.ok, true);
    });

    test('a new token retires the unused one of the same address and purpose, and only that one', async (store) => {
      const old = tokenRecord();
      const otherPurpose = tokenRecord({ purpose: 'email_verify' });
      const otherAddress = tokenRecord({ email: 'bob@example.com' });
      for (const token of [old, otherPurpose, otherAddress]) await store.issueToken(token, null, []);
      const newer = tokenRecord({ createdAt: T0 + 1000, expiresAt: T0 + 16 * MINUTE });
      await store.issueToken(newer, null, []);

      assert.equal((await store.findToken(old.tokenHash))?.retiredAt, newer.createdAt);
      const now = T0 + 2000;
      const replaced = await store.consumeToken({ lookup: { tokenHash: old.tokenHash }, purpose: 'sign_in', now, attemptLimit: MAX - 1 });
      assert.equal(replaced.ok, false);
      assert.equal(!replaced.ok && replaced.reason, 'replaced');
      assert.equal(replaced.token?.id, old.id);
      assert.equal(await store.reserveCodeAttempt(old.id, MAX), null, 'no code attempts on a replaced token');

      const stillAlive = [
        { token: otherPurpose, purpose: 'email_verify' as const },
        { token: otherAddress, purpose: 'sign_in' as const },
        { token: newer, purpose: 'sign_in' as const },
      ];
      for (const { token, purpose } of stillAlive) {
        const result = await store.consumeToken({ lookup: { tokenHash: token.tokenHash }, purpose, now, attemptLimit: MAX - 1 });
        assert.equal(result.ok, true, `${token.purpose} for ${token.email} must survive`);
      }
    });

    test('a consumed token is not retired by a newer one', async (store) => {
      const used = tokenRecord();
      await store.issueToken(used, null, []);
      await store.consumeToken({ lookup: { tokenHash: used.tokenHash }, purpose: 'sign_in', now: T0 + 10, attemptLimit: MAX });
      await store.issueToken(tokenRecord({ createdAt: T0 + 1000 }), null, []);
      const after = await store.findToken(used.tokenHash);
      assert.equal(after?.consumedAt, T0 + 10);
      assert.equal(after?.retiredAt, null);
    });

    test('concurrent requests for one address leave exactly one live token', async (store) => {
      const tokens = Array.from({ length: 10 }, (_, i) => tokenRecord({ createdAt: T0 + i }));
      await Promise.all(tokens.map((token) => store.issueToken(token, null, [])));
      const stored = await Promise.all(tokens.map((token) => store.findToken(token.tokenHash)));
      assert.equal(stored.filter((token) => token !== null && token.retiredAt === null).length, 1);
    });

    test('recordSignInFlow / findSignInFlow: found by the flow hash alone, while it lives; first write wins; expired ones dropped (issue #12 finding 10)', async (store) => {
      const flow = { flowHash: hash(), email: 'asker@example.com', redirectTo: '/mine', createdAt: T0, expiresAt: T0 + 24 * 60 * MINUTE };
      await store.recordSignInFlow(flow);
      assert.deepEqual(await store.findSignInFlow(flow.flowHash, T0 + MINUTE), flow);
      assert.equal(await store.findSignInFlow(hash(), T0 + MINUTE), null);
      await store.recordSignInFlow({ ...flow, email: 'other@example.com', redirectTo: null, createdAt: T0 + MINUTE });
      assert.deepEqual(await store.findSignInFlow(flow.flowHash, T0 + MINUTE), flow, 'a second write with the same hash changes nothing');
      assert.equal(await store.findSignInFlow(flow.flowHash, flow.expiresAt), null, 'not after it expires');
      // The next write drops it for good.
      const later = { ...flow, flowHash: hash(), createdAt: flow.expiresAt, expiresAt: flow.expiresAt + MINUTE };
      await store.recordSignInFlow(later);
      assert.equal(await store.findSignInFlow(flow.flowHash, flow.expiresAt - 1), null);
      assert.deepEqual(await store.findSignInFlow(later.flowHash, later.createdAt), later);
    });

    test('findLatestToken returns the newest token of the address and purpose, whatever its state', async (store) => {
      const older = tokenRecord();
      const newest = tokenRecord({ createdAt: T0 + 1000 });
      await store.issueToken(older, null, []);
      await store.issueToken(newest, null, []);
      assert.equal((await store.findLatestToken(older.email, 'sign_in'))?.id, newest.id);
      await store.consumeToken({ lookup: { tokenId: newest.id }, purpose: 'sign_in', now: T0 + 2000, attemptLimit: MAX });
      assert.equal((await store.findLatestToken(older.email, 'sign_in'))?.consumedAt, T0 + 2000);
      assert.equal(await store.findLatestToken(older.email, 'password_reset'), null);
      assert.equal(await store.findLatestToken('nobody@example.com', 'sign_in'), null);

      // Same millisecond: the one still alive is the latest.
      const sameTime = tokenRecord({ createdAt: newest.createdAt });
      await store.issueToken(sameTime, null, []);
      assert.equal((await store.findLatestToken(older.email, 'sign_in'))?.id, sameTime.id);
    });

    test('consumeToken succeeds once; the second attempt is "used"', async (store) => {
      const token = tokenRecord();
      await store.issueToken(token, null, []);
      const first = await store.consumeToken({ lookup: { tokenHash: token.tokenHash }, purpose: 'sign_in', now: T0 + 5, attemptLimit: MAX - 1 });
      assert.deepEqual(first, { ok: true, token: { ...token, consumedAt: T0 + 5 } });
      for (const lookup of [{ tokenHash: token.tokenHash }, { tokenId: token.id }]) {
        const again = await store.consumeToken({ lookup, purpose: 'sign_in', now: T0 + 6, attemptLimit: MAX });
        assert.deepEqual(again, { ok: false, reason: 'used', token: { ...token, consumedAt: T0 + 5 } });
      }
    });

    test('consumeToken by id (the code path)', async (store) => {
      const token = tokenRecord();
      await store.issueToken(token, null, []);
      const result = await store.consumeToken({ lookup: { tokenId: token.id }, purpose: 'sign_in', now: T0 + 5, attemptLimit: MAX });
      assert.equal(result.ok && result.token.id, token.id);
      assert.equal((await store.findToken(token.tokenHash))?.consumedAt, T0 + 5);
    });

    test('an expired token is "expired" from expiresAt on, and stays unconsumed', async (store) => {
      const token = tokenRecord();
      await store.issueToken(token, null, []);
      const result = await store.consumeToken({ lookup: { tokenHash: token.tokenHash }, purpose: 'sign_in', now: token.expiresAt, attemptLimit: MAX });
      assert.equal(!result.ok && result.reason, 'expired');
      assert.equal(result.token?.consumedAt, null);
      const justInTime = tokenRecord({ email: 'bob@example.com' });
      await store.issueToken(justInTime, null, []);
      const ok = await store.consumeToken({ lookup: { tokenId: justInTime.id }, purpose: 'sign_in', now: justInTime.expiresAt - 1, attemptLimit: MAX });
      assert.equal(ok.ok, true);
    });

    test('an unknown hash or id is "not_found" and reveals no token', async (store) => {
      await store.issueToken(tokenRecord(), null, []);
      for (const lookup of [{ tokenHash: hash() }, { tokenId: 'no-such-id' }]) {
        const result = await store.consumeToken({ lookup, purpose: 'sign_in', now: T0 + 1, attemptLimit: MAX });
        assert.deepEqual(result, { ok: false, reason: 'not_found', token: null });
      }
    });

    test('a token presented for another purpose is not consumed and reads as not_found', async (store) => {
      const token = tokenRecord({ purpose: 'sign_in' });
      await store.issueToken(token, null, []);
      const wrong = await store.consumeToken({ lookup: { tokenHash: token.tokenHash }, purpose: 'password_reset', now: T0 + 1, attemptLimit: MAX });
      assert.deepEqual(wrong, { ok: false, reason: 'not_found', token: null });
      const right = await store.consumeToken({ lookup: { tokenHash: token.tokenHash }, purpose: 'sign_in', now: T0 + 2, attemptLimit: MAX });
      assert.equal(right.ok, true);
    });

    test('wrong codes lock the link at max - 1 attempts; the code path may still use the last one', async (store) => {
      const locked = tokenRecord();
      const lastChance = tokenRecord({ email: 'bob@example.com' });
      await store.issueToken(locked, null, []);
      await store.issueToken(lastChance, null, []);
      for (let i = 0; i < MAX; i++) await store.reserveCodeAttempt(locked.id, MAX);
      for (let i = 0; i < MAX - 1; i++) await store.reserveCodeAttempt(lastChance.id, MAX);

      const link = await store.consumeToken({ lookup: { tokenHash: locked.tokenHash }, purpose: 'sign_in', now: T0 + 1, attemptLimit: MAX - 1 });
      assert.equal(!link.ok && link.reason, 'locked');
      assert.equal(link.token?.codeAttempts, MAX);
      const code = await store.consumeToken({ lookup: { tokenId: locked.id }, purpose: 'sign_in', now: T0 + 2, attemptLimit: MAX });
      assert.equal(code.ok, true);
      const stillLink = await store.consumeToken({ lookup: { tokenHash: lastChance.tokenHash }, purpose: 'sign_in', now: T0 + 3, attemptLimit: MAX - 1 });
      assert.equal(stillLink.ok, true);
    });

    test('reserveCodeAttempt counts up to the cap, then returns null', async (store) => {
      const token = tokenRecord();
      await store.issueToken(token, null, []);
      const counts = [];
      for (let i = 0; i < MAX + 2; i++) counts.push(await store.reserveCodeAttempt(token.id, MAX));
      assert.deepEqual(counts, [1, 2, 3, 4, 5, null, null]);
      assert.equal((await store.findToken(token.tokenHash))?.codeAttempts, MAX);
      assert.equal(await store.reserveCodeAttempt('no-such-id', MAX), null);
    });

    test('reserveCodeAttempt refuses consumed and retired tokens', async (store) => {
      const consumed = tokenRecord({ email: 'bob@example.com' });
      const retired = tokenRecord();
      await store.issueToken(consumed, null, []);
      await store.issueToken(retired, null, []);
      await store.consumeToken({ lookup: { tokenId: consumed.id }, purpose: 'sign_in', now: T0 + 1, attemptLimit: MAX });
      await store.issueToken(tokenRecord({ createdAt: T0 + 1000 }), null, []);
      assert.equal(await store.reserveCodeAttempt(consumed.id, MAX), null);
      assert.equal(await store.reserveCodeAttempt(retired.id, MAX), null);
      assert.equal((await store.findToken(retired.tokenHash))?.codeAttempts, 0);
    });

    test('20 parallel code guesses get exactly max attempts between them', async (store) => {
      const token = tokenRecord();
      await store.issueToken(token, null, []);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.reserveCodeAttempt(token.id, MAX)));
      const granted = results.filter((n) => n !== null).sort((a, b) => a - b);
      assert.deepEqual(granted, [1, 2, 3, 4, 5]);
      assert.equal((await store.findToken(token.tokenHash))?.codeAttempts, MAX);
    });

    test('50 parallel consumes of one token: exactly one succeeds, the rest are "used"', async (store) => {
      const token = tokenRecord();
      await store.issueToken(token, null, []);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.consumeToken({
            lookup: i % 2 ? { tokenId: token.id } : { tokenHash: token.tokenHash },
            purpose: 'sign_in',
            now: T0 + 100 + i,
            attemptLimit: MAX,
          }),
        ),
      );
      assert.equal(results.filter((r) => r.ok).length, 1);
      assert.deepEqual(new Set(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)), new Set(['used']));
    });
  });
}
