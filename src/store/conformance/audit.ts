// The audit log: what an operator reads to answer "why couldn't this person
// sign in?", and what nobody, not even the app, can rewrite.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { AuditEvent, AuditEventType } from '../../core/audit.ts';
import { POLICY_VERSION } from '../../core/policy-version.ts';
import { event, MINUTE, T0, withoutId, type ConformanceHooks, type StoreTest } from './fixtures.ts';

const EVENTS: AuditEvent[] = [
  event('sign_in.requested', { at: T0, requestId: 'r1', email: 'ada@example.com' }),
  event('token.consumed', { at: T0 + 1, requestId: 'r2', userId: 'u-ada', email: 'ada@example.com', reason: 'sign_in' }),
  event('session.created', { at: T0 + 2, requestId: 'r2', userId: 'u-ada', email: 'ada@example.com' }),
  event('sign_in.requested', { at: T0 + 2, requestId: 'r3', email: 'bob@example.com', outcome: 'failure', reason: 'signup_closed' }),
  event('code.failed', { at: T0 + 3, requestId: 'r4', userId: 'u-bob', email: 'bob@example.com', outcome: 'failure', ip: null, userAgent: null }),
];

export function auditCases(test: StoreTest, hooks: ConformanceHooks): void {
  describe('audit log', () => {
    test('appendAudit stores events as given; listAudit returns them newest first', async (store) => {
      await store.appendAudit(EVENTS.slice(0, 2));
      await store.appendAudit([]);
      await store.appendAudit(EVENTS.slice(2));
      const listed = await store.listAudit({});
      // Same `at` (the 3rd and 4th events): the later append comes first.
      assert.deepEqual(listed.map(withoutId), [...EVENTS].reverse());
      const ids = listed.map((e) => e.id);
      assert.ok(ids.every((id, i) => Number.isInteger(id) && (i === 0 || id < (ids[i - 1] ?? 0))), `ids ${ids}`);
    });

    test('listAudit filters by request, user, email, type and time, alone or combined', async (store) => {
      await store.appendAudit(EVENTS);
      const types = async (query: Parameters<typeof store.listAudit>[0]) => (await store.listAudit(query)).map((e) => `${e.type}@${e.at}`);
      assert.deepEqual(await types({ requestId: 'r2' }), [`session.created@${T0 + 2}`, `token.consumed@${T0 + 1}`]);
      assert.deepEqual(await types({ userId: 'u-bob' }), [`code.failed@${T0 + 3}`]);
      assert.deepEqual(await types({ email: 'bob@example.com' }), [`code.failed@${T0 + 3}`, `sign_in.requested@${T0 + 2}`]);
      assert.deepEqual(await types({ type: 'sign_in.requested' }), [`sign_in.requested@${T0 + 2}`, `sign_in.requested@${T0}`]);
      assert.deepEqual(await types({ since: T0 + 2 }), [`code.failed@${T0 + 3}`, `sign_in.requested@${T0 + 2}`, `session.created@${T0 + 2}`]);
      assert.deepEqual(await types({ email: 'ada@example.com', since: T0 + 1, type: 'token.consumed' }), [`token.consumed@${T0 + 1}`]);
      assert.deepEqual(await types({ userId: 'u-ada', requestId: 'r4' }), []);
      assert.deepEqual(await types({ requestId: 'nope' }), []);
    });

    test('listAudit limit keeps the newest', async (store) => {
      await store.appendAudit(EVENTS);
      assert.deepEqual(
        (await store.listAudit({ limit: 2 })).map((e) => e.type),
        ['code.failed', 'sign_in.requested'],
      );
      assert.equal((await store.listAudit({ limit: 2, email: 'ada@example.com' }))[1]?.type, 'token.consumed');
    });

    test('the audit log is append-only, even to raw SQL', async (store, t) => {
      if (!hooks.rawSql) return t.skip('no raw SQL access for this backend');
      await store.appendAudit(EVENTS);
      const before = await store.listAudit({});
      await assert.rejects(hooks.rawSql(store, "UPDATE audit_events SET reason = 'rewritten'"), /append-only/);
      await assert.rejects(hooks.rawSql(store, 'DELETE FROM audit_events'), /append-only/);
      assert.deepEqual(await store.listAudit({}), before);
      assert.equal('deleteAudit' in store || 'updateAudit' in store, false);
    });

    test('every stored event carries the policy version in force when it was written', async (store) => {
      await store.appendAudit(EVENTS);
      assert.deepEqual(
        [...new Set((await store.listAudit({})).map((e) => e.policyVersion))],
        [POLICY_VERSION],
      );
    });

    test('retention prunes by age only, and raw deletes stay refused afterwards', async (store, t) => {
      const at = (minutes: number, type: AuditEventType) => ({ ...EVENTS[0]!, type, at: T0 + minutes * MINUTE });
      await store.appendAudit([at(0, 'sign_in.requested'), at(10, 'token.consumed'), at(20, 'session.created')]);
      assert.equal(await store.pruneAudit(T0 + 10 * MINUTE), 1, 'only the event older than the cut-off');
      assert.deepEqual(
        (await store.listAudit({})).map((e) => e.type),
        ['session.created', 'token.consumed'],
      );
      if (!hooks.rawSql) return t.skip('no raw SQL access for this backend');
      await assert.rejects(hooks.rawSql(store, 'DELETE FROM audit_events'), /append-only/, 'the prune window closes with its transaction');
      assert.equal((await store.listAudit({})).length, 2);
    });
  });
}
