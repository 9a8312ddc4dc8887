// Rate-limit counters (the store-backed fallback while Redis is away): the
// logic of RateCounterStore, written once for both backends.

import { toRateCounter } from '../rows.ts';
import type { RateCounter, RateCounterStore } from '../store.ts';
import { get, run, type Driver, type Work } from './steps.ts';

export function rateCounterStore(db: Driver): RateCounterStore {
  return {
    hitRateCounter: (key, points, durationMs, reset, now) => db.write(hitRateCounter(key, points, durationMs, reset, now)),
    getRateCounter: (key, now) => db.read(getRateCounter(key, now)),
    deleteRateCounter: async (key) => (await db.write(run('deleteRateCounter', [key]))) === 1,
    pruneRateCounters: (now) => db.write(run('pruneRateCounters', [now])),
  };
}

function* hitRateCounter(key: string, points: number, durationMs: number, reset: boolean, now: number): Work<RateCounter> {
  const row = yield* get('hitRateCounter', [key, points, durationMs > 0 ? now + durationMs : null, reset, now]);
  if (!row) throw new Error('store: rate counter upsert returned nothing');
  return toRateCounter(row);
}

function* getRateCounter(key: string, now: number): Work<RateCounter | null> {
  const row = yield* get('getRateCounter', [key, now]);
  return row ? toRateCounter(row) : null;
}
