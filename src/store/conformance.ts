// The behaviour every Store backend must show, written as an attacker or a user
// would observe it. Each case runs on a fresh, migrated, empty store.
//
//   runStoreConformance('sqlite', async () => openMigratedStore());
//
// makeStore may return null to say the backend is unavailable: the suite is
// then reported as skipped (with hooks.skipReason) rather than passed.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accountCases } from './conformance/accounts.ts';
import { approvalCases } from './conformance/approvals.ts';
import { auditCases } from './conformance/audit.ts';
import type { ConformanceHooks, StoreTest } from './conformance/fixtures.ts';
import { oidcCases } from './conformance/oidc.ts';
import { outboxCases } from './conformance/outbox.ts';
import { passkeyCases } from './conformance/passkeys.ts';
import { signInRequirementCases } from './conformance/sign-in-requirements.ts';
import { rateCounterCases } from './conformance/rate-counters.ts';
import { sessionCases } from './conformance/sessions.ts';
import { tokenCases } from './conformance/tokens.ts';
import { twoFactorCases } from './conformance/two-factor.ts';
import type { Store } from './store.ts';

export type { ConformanceHooks } from './conformance/fixtures.ts';

export interface ConformanceOptions extends ConformanceHooks {
  /** Why makeStore returned null, for the skip message. */
  skipReason?: () => string | null;
}

export function runStoreConformance(
  name: string,
  makeStore: () => Promise<Store | null>,
  options: ConformanceOptions = {},
): void {
  describe(`Store conformance: ${name}`, async () => {
    const probe = await makeStore();
    if (!probe) {
      const reason = options.skipReason?.() ?? `${name} unavailable; store suite skipped`;
      it(`${name} store suite`, { skip: reason }, () => {});
      return;
    }
    await probe.close();

    const test: StoreTest = (title, body) =>
      it(title, async (t) => {
        const store = await makeStore();
        assert.ok(store, `${name}: makeStore returned null after the backend was found available`);
        try {
          await body(store, t);
        } finally {
          await store.close();
        }
      });

    lifecycleCases(test);
    tokenCases(test);
    sessionCases(test);
    outboxCases(test);
    rateCounterCases(test);
    twoFactorCases(test);
    accountCases(test);
    approvalCases(test);
    auditCases(test, options);
    oidcCases(test);
    passkeyCases(test);
    signInRequirementCases(test);
  });
}

function lifecycleCases(test: StoreTest): void {
  describe('lifecycle', () => {
    test('migrate on a migrated store applies nothing', async (store) => {
      assert.equal(await store.migrate(), 0);
      assert.equal(await store.migrate(), 0);
      await store.ping();
      assert.ok(store.kind === 'sqlite' || store.kind === 'postgres');
    });

    test('a migrated store starts empty', async (store) => {
      assert.equal(await store.findUserByEmail('ada@example.com'), null);
      assert.deepEqual(await store.listAudit({}), []);
      assert.deepEqual(await store.claimOutbox('w', Number.MAX_SAFE_INTEGER - 1, 100, 1), []);
    });

    test('ping fails once the store is closed; closing twice is harmless', async (store) => {
      await store.close();
      await assert.rejects(store.ping());
      await store.close();
    });
  });
}
