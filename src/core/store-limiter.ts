// A rate-limiter-flexible limiter whose counters live in the database (the
// rate_limit_counters table): the insurance of the Redis limiters. While Redis
// is unreachable every instance on the same database counts into the same rows,
// so a limit stays one limit instead of one per instance, and nothing fails open.
// The window arithmetic is the library's fixed window, done by one atomic
// upsert in the store (hitRateCounter), like its own RateLimiterPostgres.

import { RateLimiterCompatibleAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateCounter, Store } from '../store/store.ts';
import type { RedisFallback } from './limiters.ts';

type CounterStore = Pick<Store, 'hitRateCounter' | 'getRateCounter' | 'deleteRateCounter' | 'pruneRateCounters'>;

/** Expired counters are deleted at most this often, and only while the fallback is in use. */
const PRUNE_EVERY_MS = 60_000;

/** The database as the Redis limiters' fallback; one per process, so its limiters share the pruning schedule. */
export function storeFallback(store: CounterStore, now: () => number): RedisFallback {
  let nextPrune = 0;
  const prune = () => {
    const t = now();
    if (t < nextPrune) return;
    nextPrune = t + PRUNE_EVERY_MS;
    // Housekeeping only: a failure here must not fail the request that triggered it.
    store.pruneRateCounters(t).catch(() => {});
  };
  return {
    where: 'in the database (one limit for every instance on it)',
    limiter: (keyPrefix, points, durationSeconds, used) =>
      new StoreRateLimiter({
        store,
        keyPrefix,
        points,
        durationSeconds,
        now,
        used: () => {
          used();
          prune();
        },
      }),
  };
}

interface StoreRateLimiterOptions {
  store: CounterStore;
  keyPrefix: string;
  points: number;
  durationSeconds: number;
  now: () => number;
  /** Called on every operation (the fallback is in use). */
  used: () => void;
}

export class StoreRateLimiter extends RateLimiterCompatibleAbstract {
  // Plain fields: the library sets blockDuration and execEvenly on its insurance.
  override readonly keyPrefix: string = '';
  override blockDuration = 0;
  override execEvenly = false;
  #o: StoreRateLimiterOptions;

  constructor(options: StoreRateLimiterOptions) {
    super();
    this.keyPrefix = options.keyPrefix;
    this.#o = options;
  }

  override async consume(key: string | number, points = 1): Promise<RateLimiterRes> {
    const res = await this.#hit(key, points, this.#o.durationSeconds * 1000, false);
    // Over the limit: rejected with the result, as every rate-limiter-flexible limiter does.
    if (res.consumedPoints > this.#o.points) throw res;
    return res;
  }

  override penalty(key: string | number, points = 1): Promise<RateLimiterRes> {
    return this.#hit(key, points, this.#o.durationSeconds * 1000, false);
  }

  override reward(key: string | number, points = 1): Promise<RateLimiterRes> {
    return this.#hit(key, -points, this.#o.durationSeconds * 1000, false);
  }

  override async get(key: string | number): Promise<RateLimiterRes | null> {
    this.#o.used();
    const now = this.#o.now();
    const counter = await this.#o.store.getRateCounter(this.#key(key), now);
    return counter ? this.#res(counter, now) : null;
  }

  override set(key: string | number, points: number, secDuration: number): Promise<RateLimiterRes> {
    return this.#hit(key, points, (secDuration >= 0 ? secDuration : this.#o.durationSeconds) * 1000, true);
  }

  /** Like the library's store limiters: points + 1 for the whole duration. */
  override block(key: string | number, secDuration: number): Promise<RateLimiterRes> {
    return this.#hit(key, this.#o.points + 1, secDuration * 1000, true);
  }

  override delete(key: string | number): Promise<boolean> {
    this.#o.used();
    return this.#o.store.deleteRateCounter(this.#key(key));
  }

  #key(key: string | number): string {
    return this.keyPrefix ? `${this.keyPrefix}:${key}` : String(key);
  }

  async #hit(key: string | number, points: number, durationMs: number, reset: boolean): Promise<RateLimiterRes> {
    this.#o.used();
    const now = this.#o.now();
    const counter = await this.#o.store.hitRateCounter(this.#key(key), points, durationMs, reset, now);
    return this.#res(counter, now);
  }

  #res(counter: RateCounter, now: number): RateLimiterRes {
    const msBeforeNext = counter.expiresAt === null ? -1 : Math.max(0, counter.expiresAt - now);
    return new RateLimiterRes(Math.max(0, this.#o.points - counter.points), msBeforeNext, counter.points);
  }
}
