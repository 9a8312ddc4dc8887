// Rate-limit counters: the fixed window rate-limiter-flexible keeps in Redis,
// kept in the database while Redis is away. Every instance on the database
// counts into the same row, so a limit stays one limit.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { MINUTE, T0, type StoreTest } from './fixtures.ts';

export function rateCounterCases(test: StoreTest): void {
  describe('rate-limit counters', () => {
    test('a window counts from its first hit and starts over once it has expired', async (store) => {
      assert.equal(await store.getRateCounter('k', T0), null);
      assert.deepEqual(await store.hitRateCounter('k', 1, MINUTE, false, T0), { points: 1, expiresAt: T0 + MINUTE });
      assert.deepEqual(await store.hitRateCounter('k', 2, MINUTE, false, T0 + 10), { points: 3, expiresAt: T0 + MINUTE }, 'the window does not slide');
      assert.deepEqual(await store.getRateCounter('k', T0 + MINUTE - 1), { points: 3, expiresAt: T0 + MINUTE });
      assert.equal(await store.getRateCounter('k', T0 + MINUTE), null, 'expired');
      assert.deepEqual(await store.hitRateCounter('k', 1, MINUTE, false, T0 + MINUTE), { points: 1, expiresAt: T0 + 2 * MINUTE });
      assert.equal(await store.getRateCounter('other', T0), null, 'keys are independent');
    });

    test('reset sets points and expiry whatever the state (a block); duration 0 never expires', async (store) => {
      await store.hitRateCounter('k', 5, MINUTE, false, T0);
      assert.deepEqual(await store.hitRateCounter('k', 2, 10 * MINUTE, true, T0 + 1), { points: 2, expiresAt: T0 + 1 + 10 * MINUTE });
      assert.deepEqual(await store.hitRateCounter('forever', 1, 0, false, T0), { points: 1, expiresAt: null });
      assert.deepEqual(await store.hitRateCounter('forever', 1, MINUTE, false, T0 + 1000 * MINUTE), { points: 2, expiresAt: null });
      assert.deepEqual(await store.hitRateCounter('k', -1, MINUTE, false, T0 + 2), { points: 1, expiresAt: T0 + 1 + 10 * MINUTE }, 'a reward');
    });

    test('parallel hits on one key are all counted', async (store) => {
      const results = await Promise.all(Array.from({ length: 25 }, () => store.hitRateCounter('busy', 1, MINUTE, false, T0)));
      assert.deepEqual(results.map((r) => r.points).sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i + 1));
      assert.equal((await store.getRateCounter('busy', T0))?.points, 25);
    });

    test('delete and prune', async (store) => {
      await store.hitRateCounter('a', 1, MINUTE, false, T0);
      await store.hitRateCounter('b', 1, 2 * MINUTE, false, T0);
      await store.hitRateCounter('c', 1, 0, false, T0);
      assert.equal(await store.deleteRateCounter('a'), true);
      assert.equal(await store.deleteRateCounter('a'), false);
      assert.equal(await store.getRateCounter('a', T0), null);
      assert.equal(await store.pruneRateCounters(T0 + 2 * MINUTE), 1, 'b expired; c never expires');
      assert.equal((await store.getRateCounter('c', T0 + 2 * MINUTE))?.points, 1);
      assert.equal(await store.pruneRateCounters(T0 + 2 * MINUTE), 0);
    });
  });
}
