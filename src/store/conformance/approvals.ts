// Cross-device approval as an attacker sees it (issue #4): the other device
// gets one pick, however many requests race; only an approved request can be
// completed, once; nothing moves after expiry or for another request's token.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { CrossDeviceApproval, Store } from '../store.ts';
import { event, hash, MINUTE, T0, tokenRecord, withoutId, type StoreTest } from './fixtures.ts';

async function pendingApproval(store: Store, fields: Partial<CrossDeviceApproval> = {}): Promise<CrossDeviceApproval> {
  const token = tokenRecord();
  await store.issueToken(token, null, []);
  const approval: CrossDeviceApproval = {
    flowHash: token.flowHash!,
    tokenId: token.id,
    number: 42,
    choices: [17, 42, 88],
    state: 'pending',
    createdAt: T0,
    expiresAt: token.expiresAt,
    decidedAt: null,
    ...fields,
  };
  await store.createApproval(approval);
  return approval;
}

const decide = (approval: CrossDeviceApproval, approve: boolean, now = T0 + MINUTE, events = [event(approve ? 'approval.granted' : 'approval.refused')]) => ({
  flowHash: approval.flowHash,
  tokenId: approval.tokenId,
  approve,
  now,
  events,
});

export function approvalCases(test: StoreTest): void {
  describe('cross-device approval', () => {
    test('an approval reads back as created; an unknown flow has none', async (store) => {
      const approval = await pendingApproval(store);
      assert.deepEqual(await store.findApproval(approval.flowHash), approval);
      assert.equal(await store.findApproval(hash()), null);
    });

    test('one pick: of racing decisions exactly one counts, and its events are written with it', async (store) => {
      const approval = await pendingApproval(store);
      const results = await Promise.all([true, false, true, false, true, false].map((approve) => store.decideApproval(decide(approval, approve))));
      assert.equal(results.filter(Boolean).length, 1);
      const stored = await store.findApproval(approval.flowHash);
      assert.ok(stored && (stored.state === 'approved' || stored.state === 'refused'));
      assert.equal(stored.decidedAt, T0 + MINUTE);
      const events = await store.listAudit({});
      assert.equal(events.length, 1, 'only the decision that counted is recorded');
      assert.equal(events[0]!.type, stored.state === 'approved' ? 'approval.granted' : 'approval.refused');
      assert.deepEqual(withoutId(events[0]!), event(events[0]!.type));
    });

    test('a refused request never completes; a wrong pick cannot be followed by a right one', async (store) => {
      const approval = await pendingApproval(store);
      assert.equal(await store.decideApproval(decide(approval, false)), true);
      assert.equal(await store.decideApproval(decide(approval, true)), false);
      assert.equal(await store.completeApproval(approval.flowHash, T0 + MINUTE), false);
      assert.equal((await store.findApproval(approval.flowHash))?.state, 'refused');
    });

    test('only an approved request completes, once, however many polls race', async (store) => {
      const approval = await pendingApproval(store);
      assert.equal(await store.completeApproval(approval.flowHash, T0 + MINUTE), false, 'pending cannot complete');
      assert.equal(await store.decideApproval(decide(approval, true)), true);
      const results = await Promise.all(Array.from({ length: 6 }, () => store.completeApproval(approval.flowHash, T0 + 2 * MINUTE)));
      assert.deepEqual(results.filter(Boolean), [true]);
      assert.equal((await store.findApproval(approval.flowHash))?.state, 'completed');
    });

    test('nothing moves after expiry, or for another request\'s token', async (store) => {
      const approval = await pendingApproval(store);
      assert.equal(await store.decideApproval({ ...decide(approval, true), tokenId: tokenRecord().id }), false, 'another token');
      assert.equal(await store.decideApproval(decide(approval, true, approval.expiresAt)), false, 'expired');
      assert.equal((await store.findApproval(approval.flowHash))?.state, 'pending');
      assert.deepEqual(await store.listAudit({}), [], 'no event without a change');

      const approved = await pendingApproval(store);
      assert.equal(await store.decideApproval(decide(approved, true)), true);
      assert.equal(await store.completeApproval(approved.flowHash, approved.expiresAt), false, 'expired approvals do not complete');
    });

    test('one approval per waiting browser, and only for a stored token', async (store) => {
      const approval = await pendingApproval(store);
      await assert.rejects(store.createApproval({ ...approval, number: 17 }));
      await assert.rejects(store.createApproval({ ...approval, flowHash: hash(), tokenId: 'no-such-token' }));
    });
  });
}
