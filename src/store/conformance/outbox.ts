// The mail outbox: leases instead of locks held across SMTP, so a dead worker's
// messages come back, and no two live workers ever send the same row.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { event, MINUTE, outboxMessage, queueMessage, T0, withoutId, type StoreTest } from './fixtures.ts';

const LEASE = MINUTE;

export function outboxCases(test: StoreTest): void {
  describe('outbox', () => {
    test('outboxSummary counts each state, dates the oldest unsent message and lists the troubled ones without payload', async (store) => {
      assert.ok((await store.schemaVersion()) >= 1, 'a migrated store reports its schema version');
      const empty = await store.outboxSummary(10);
      assert.deepEqual(empty, { queued: 0, retrying: 0, sending: 0, sent: 0, dead: 0, oldestUnsentAt: null, troubled: [] });

      const sent = await queueMessage(store, { createdAt: T0 + 1 });
      const failing = await queueMessage(store, { createdAt: T0 + 2 });
      const dying = await queueMessage(store, { createdAt: T0 + 3 });
      const waiting = await queueMessage(store, { createdAt: T0 + 4 });
      await store.claimOutbox('w1', T0 + 10, 3, LEASE); // sent, failing, dying (oldest first)
      await store.markOutboxSent([sent.id], 'w1', T0 + 11, []);
      await store.markOutboxFailed(failing.id, 'w1', '421 try later', T0 + MINUTE, []);
      await store.markOutboxFailed(dying.id, 'w1', '550 no such user', null, []);

      const summary = await store.outboxSummary(10);
      assert.deepEqual(
        { ...summary, troubled: summary.troubled.map((m) => [m.id, m.status, m.lastError]) },
        {
          queued: 1,
          retrying: 1,
          sending: 0,
          sent: 1,
          dead: 1,
          oldestUnsentAt: failing.createdAt,
          troubled: [
            [dying.id, 'dead', '550 no such user'],
            [failing.id, 'queued', '421 try later'],
          ],
        },
      );
      assert.equal(waiting.createdAt > failing.createdAt, true);
      assert.equal(summary.troubled.some((m) => 'payload' in m), false, 'a live link never leaves the outbox');
      assert.equal((await store.outboxSummary(1)).troubled.length, 1);
    });

    test('claimOutbox takes due messages up to the limit, oldest first, and marks them sending', async (store) => {
      const late = await queueMessage(store, { createdAt: T0 + 20 });
      const early = await queueMessage(store, { createdAt: T0 + 10 });
      const future = await queueMessage(store, { createdAt: T0 + 10 * MINUTE });
      await queueMessage(store, { createdAt: T0 + 30 });

      const claimed = await store.claimOutbox('w1', T0 + 100, 2, LEASE);
      assert.deepEqual(
        claimed.map((m) => m.id),
        [early.id, late.id],
      );
      assert.deepEqual(claimed[0], { ...early, status: 'sending', attempts: 0, nextAttemptAt: early.createdAt, lastError: null, sentAt: null });
      assert.equal((await store.getOutboxMessage(late.id))?.status, 'sending');
      assert.equal((await store.getOutboxMessage(future.id))?.status, 'queued');
      assert.equal((await store.claimOutbox('w2', T0 + 100, 10, LEASE)).length, 1, 'only the one due message is left');
    });

    test('a claimed message stays with its worker until the lease runs out, then another worker takes it', async (store) => {
      const message = await queueMessage(store);
      assert.equal((await store.claimOutbox('w1', T0, 10, LEASE)).length, 1);
      assert.deepEqual(await store.claimOutbox('w2', T0 + LEASE - 1, 10, LEASE), []);
      const reclaimed = await store.claimOutbox('w2', T0 + LEASE, 10, LEASE);
      assert.deepEqual(
        reclaimed.map((m) => m.id),
        [message.id],
      );

      // The first worker is late: its result no longer applies.
      await store.markOutboxSent([message.id], 'w1', T0 + LEASE + 1, []);
      assert.equal((await store.getOutboxMessage(message.id))?.status, 'sending');
      await store.markOutboxFailed(message.id, 'w1', 'timeout', null, []);
      assert.equal((await store.getOutboxMessage(message.id))?.status, 'sending');
      await store.markOutboxSent([message.id], 'w2', T0 + LEASE + 2, []);
      assert.equal((await store.getOutboxMessage(message.id))?.status, 'sent');
    });

    test('parallel workers never claim the same message', async (store) => {
      const queued = [];
      for (let i = 0; i < 20; i++) queued.push(await queueMessage(store, { createdAt: T0 + i }));
      const seen: string[] = [];
      for (let round = 0; round < 10 && seen.length < queued.length; round++) {
        const batches = await Promise.all(
          ['w1', 'w2', 'w3', 'w4', 'w5'].map((worker) => store.claimOutbox(worker, T0 + MINUTE, 3, LEASE)),
        );
        seen.push(...batches.flat().map((m) => m.id));
      }
      assert.equal(new Set(seen).size, seen.length, 'a message was claimed twice');
      assert.deepEqual(new Set(seen), new Set(queued.map((m) => m.id)));
    });

    test('markOutboxSent by the claimant: sent, payload cleared, events appended', async (store) => {
      const message = await queueMessage(store);
      await store.claimOutbox('w1', T0, 10, LEASE);
      await store.markOutboxSent([message.id], 'w2', T0 + 1, []);
      assert.deepEqual(await store.getOutboxMessage(message.id), {
        ...message,
        status: 'sending',
        attempts: 0,
        nextAttemptAt: message.createdAt,
        lastError: null,
        sentAt: null,
      });

      const sent = event('mail.sent', { requestId: message.requestId });
      await store.markOutboxSent([message.id], 'w1', T0 + 2, [sent]);
      const after = await store.getOutboxMessage(message.id);
      assert.equal(after?.status, 'sent');
      assert.equal(after?.sentAt, T0 + 2);
      assert.equal(after?.payload, '', 'the sealed link must not outlive delivery');
      assert.deepEqual(await store.claimOutbox('w1', T0 + 10 * LEASE, 10, LEASE), []);
      assert.equal((await store.listAudit({ type: 'mail.sent' })).length, 1);
    });

    test('markOutboxSent marks several in one call, only those this worker still holds', async (store) => {
      const [a, b, c] = [await queueMessage(store), await queueMessage(store), await queueMessage(store)];
      assert.equal((await store.claimOutbox('w1', T0, 2, LEASE)).length, 2);
      const held = await store.claimOutbox('w2', T0, 10, LEASE);
      assert.equal(held.length, 1);
      const events = [a, b, c].map((m) => event('mail.sent', { requestId: m.requestId }));
      await store.markOutboxSent([a.id, b.id, c.id], 'w1', T0 + 5, events);
      const rows = await Promise.all([a, b, c].map((m) => store.getOutboxMessage(m.id)));
      const byId = new Map(rows.map((row) => [row!.id, row!]));
      assert.equal(byId.get(held[0]!.id)?.status, 'sending', "another worker's claim is left alone");
      assert.equal([...byId.values()].filter((row) => row.status === 'sent' && row.sentAt === T0 + 5 && row.payload === '').length, 2);
      assert.equal((await store.listAudit({ type: 'mail.sent' })).length, 3);
      await store.markOutboxSent([], 'w1', T0 + 6, []);
      assert.equal((await store.listAudit({ type: 'mail.sent' })).length, 3, 'an empty call changes nothing');
    });

    test('markOutboxFailed requeues at the next attempt time, or gives up as dead', async (store) => {
      const message = await queueMessage(store);
      await store.claimOutbox('w1', T0, 10, LEASE);
      await store.markOutboxFailed(message.id, 'w1', '451 try later', T0 + 5 * MINUTE, [event('mail.failed')]);
      const queued = await store.getOutboxMessage(message.id);
      assert.deepEqual(queued, { ...message, status: 'queued', attempts: 1, nextAttemptAt: T0 + 5 * MINUTE, lastError: '451 try later', sentAt: null });

      assert.deepEqual(await store.claimOutbox('w2', T0 + 5 * MINUTE - 1, 10, LEASE), []);
      const retried = await store.claimOutbox('w2', T0 + 5 * MINUTE, 10, LEASE);
      assert.equal(retried[0]?.attempts, 1);
      assert.equal(retried[0]?.payload, message.payload);

      await store.markOutboxFailed(message.id, 'w2', '550 no such user', null, [event('mail.failed')]);
      const dead = await store.getOutboxMessage(message.id);
      assert.equal(dead?.status, 'dead');
      assert.equal(dead?.attempts, 2);
      assert.equal(dead?.lastError, '550 no such user');
      assert.equal(dead?.payload, '');
      assert.deepEqual(await store.claimOutbox('w3', T0 + 1000 * MINUTE, 10, LEASE), []);
      assert.equal((await store.listAudit({ type: 'mail.failed' })).length, 2);
    });

    test('releaseOutbox hands back only the given rows this worker holds: due at once, no attempt counted', async (store) => {
      const [a, b, c] = [await queueMessage(store), await queueMessage(store, { createdAt: T0 + 1 }), await queueMessage(store, { createdAt: T0 + 2 })];
      await store.claimOutbox('w1', T0 + 10, 2, LEASE); // a and b
      await store.claimOutbox('w2', T0 + 10, 10, LEASE); // c
      assert.equal(await store.releaseOutbox([a.id, c.id, 'no-such-message'], 'w1'), 1, 'c belongs to w2');
      assert.deepEqual(await store.getOutboxMessage(a.id), { ...a, status: 'queued', attempts: 0, nextAttemptAt: a.createdAt, lastError: null, sentAt: null });
      assert.equal((await store.getOutboxMessage(b.id))?.status, 'sending');
      assert.equal((await store.getOutboxMessage(c.id))?.status, 'sending');
      assert.equal(await store.releaseOutbox([], 'w1'), 0);

      // Another worker takes it long before w1's lease would have run out; w1's late result no longer applies.
      assert.deepEqual(
        (await store.claimOutbox('w3', T0 + 11, 10, LEASE)).map((m) => m.id),
        [a.id],
      );
      await store.markOutboxSent([a.id], 'w1', T0 + 12, []);
      assert.equal((await store.getOutboxMessage(a.id))?.status, 'sending');
      await store.markOutboxSent([b.id], 'w1', T0 + 12, []);
      assert.equal(await store.releaseOutbox([b.id], 'w1'), 0, 'a sent message is never released');
      assert.equal((await store.getOutboxMessage(b.id))?.status, 'sent');
    });

    test('queueMail queues a message on its own, with its events; a clashing id writes neither', async (store) => {
      const message = outboxMessage({ recipient: 'notice@example.com' });
      const notice = event('totp.disabled', { email: 'notice@example.com' });
      await store.queueMail(message, [notice]);
      const stored = await store.getOutboxMessage(message.id);
      assert.equal(stored?.status, 'queued');
      assert.equal(stored?.payload, message.payload);
      assert.deepEqual((await store.claimOutbox('w1', T0, 10, LEASE)).map((m) => m.id), [message.id]);
      assert.deepEqual((await store.listAudit({})).map(withoutId), [notice]);
      await assert.rejects(store.queueMail(message, [event('totp.disabled')]));
      assert.equal((await store.listAudit({})).length, 1, 'all or nothing');
    });

    test('getOutboxMessage of an unknown id is null', async (store) => {
      assert.equal(await store.getOutboxMessage('no-such-message'), null);
    });
  });
}
