// The counters behind the policy when one process keeps them (no Redis):
// rate-limiter-flexible's fixed windows (RateLimiterMemory's semantics), kept
// compactly. The library keeps each key as a record with a timer of its own;
// the per-address buckets (15 minutes, a day) get a new key on nearly every
// sign-in request, so under a burst that was about 1 KB of heap per key kept
// for up to a day: tens of MB after a minute at full load (bench, sign-in
// request @50; issue #14 item 5), plus a timer set and cleared per request.
// Here a key is a map entry (count, end of its window), and expired windows are
// dropped by one sweep per bucket. rate-limiter-flexible itself loads only with
// Redis (core/open-limiters.ts).
import type { Bucket, LimiterBackend } from './limiters.ts';

interface Window {
  count: number;
  /** Epoch ms at which the window (or a block) ends. */
  endsAt: number;
}

/** The longest a bucket waits between sweeps, in ms (shorter windows: their length). */
export const MAX_SWEEP_INTERVAL_MS = 60_000;

/**
 * One bucket: `points` events per window of `durationSeconds`, the window
 * starting with a key's first event; `block` fills a key's window for the time
 * given. A window that has ended counts as absent, swept or not.
 */
export function memoryBucket(points: number, durationSeconds: number, now: () => number = Date.now): Bucket & { readonly size: number } {
  const windows = new Map<string, Window>();
  const sweepEveryMs = Math.max(1000, Math.min(durationSeconds * 1000, MAX_SWEEP_INTERVAL_MS));
  let sweeper: NodeJS.Timeout | null = null;

  // Map order is insertion order, and a window is (re)inserted when it starts, so
  // the oldest windows come first: a sweep stops at the first that still runs. A
  // block shorter than the bucket's window may end behind it; it is ignored as
  // ended until a later sweep reaches it.
  const sweep = () => {
    const at = now();
    for (const [key, window] of windows) {
      if (window.endsAt > at) break;
      windows.delete(key);
    }
    if (windows.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = null;
    }
  };
  const live = (key: string, at: number): Window | undefined => {
    const window = windows.get(key);
    return window && window.endsAt > at ? window : undefined;
  };
  const start = (key: string, count: number, endsAt: number) => {
    windows.delete(key); // to the end of the order
    windows.set(key, { count, endsAt });
    if (!sweeper) {
      sweeper = setInterval(sweep, sweepEveryMs);
      sweeper.unref();
    }
  };
  const count = (key: string): number => {
    const at = now();
    const window = live(key, at);
    if (!window) {
      start(key, 1, at + durationSeconds * 1000);
      return 1;
    }
    return ++window.count;
  };

  return {
    get size() {
      return windows.size;
    },
    async take(key) {
      return count(key) <= points;
    },
    async add(key) {
      return count(key);
    },
    async reset(key) {
      windows.delete(key);
    },
    async block(key, seconds) {
      start(key, points + 1, now() + seconds * 1000);
    },
    async blockedForMs(key) {
      const at = now();
      const window = live(key, at);
      return window && window.count > points ? window.endsAt - at : 0;
    },
  };
}

export function memoryLimiters(now: () => number = Date.now): LimiterBackend {
  return {
    kind: 'memory',
    bucket: (_name, points, durationSeconds) => memoryBucket(points, durationSeconds, now),
  };
}
