// Counters behind the policy. One process: in memory (core/memory-limiter.ts,
// rate-limiter-flexible's fixed windows kept compactly). Several instances:
// Redis, through rate-limiter-flexible (a maintained library: we do not
// hand-write its Lua and insurance logic), with an insurance limiter that takes over while Redis is
// unreachable, so limits keep holding instead of failing open, and the outage is
// logged once rather than per request. The insurance is the database
// (store-limiter.ts), so it is still one limit for every instance.

import { RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract, type RateLimiterLike } from 'rate-limiter-flexible';

export interface Bucket {
  /** Counts one event; false when the bucket was already full (over the limit). */
  take(key: string): Promise<boolean>;
  /** Counts one event and returns how many the window now holds. */
  add(key: string): Promise<number>;
  reset(key: string): Promise<void>;
  /** Refuse this key for the given time (the progressive account delay). */
  block(key: string, seconds: number): Promise<void>;
  /** Milliseconds the key is still blocked (0 when it is not). */
  blockedForMs(key: string): Promise<number>;
}

export interface LimiterBackend {
  readonly kind: 'memory' | 'redis';
  bucket(name: string, points: number, durationSeconds: number): Bucket;
}

/** The subset of an ioredis client the limiter and we call. */
export interface RedisLike {
  status: string;
  on(event: 'error' | 'ready', listener: (error?: Error) => void): unknown;
}

function wrap(limiter: RateLimiterAbstract, points: number): Bucket {
  return {
    async take(key) {
      try {
        await limiter.consume(key);
        return true;
      } catch (error) {
        if (error instanceof RateLimiterRes) return false;
        throw error;
      }
    },
    async add(key) {
      // penalty() counts without refusing, so the count can grow past `points`.
      const result = await limiter.penalty(key, 1);
      return result.consumedPoints;
    },
    async reset(key) {
      await limiter.delete(key);
    },
    async block(key, seconds) {
      await limiter.block(key, seconds);
    },
    async blockedForMs(key) {
      const result = await limiter.get(key);
      return result && result.consumedPoints > points ? Math.max(0, result.msBeforeNext) : 0;
    },
  };
}

/** Where limits are kept while Redis is unreachable (store-limiter.ts: the database). */
export interface RedisFallback {
  /** For the log line: "limits are kept <where> until it is back". */
  where: string;
  /** `used` is called whenever the library falls back to this limiter. */
  limiter(keyPrefix: string, points: number, durationSeconds: number, used: () => void): RateLimiterLike;
}

export function redisLimiters(
  client: RedisLike,
  prefix: string,
  log: { warn(message: string): void; info(message: string): void },
  fallback: RedisFallback,
): LimiterBackend {
  let down = false;
  const markDown = () => {
    if (down) return;
    down = true;
    log.warn(`rate limits: Redis unreachable; limits are kept ${fallback.where} until it is back`);
  };
  // A refused connection says so at once; a Redis that answers with errors shows when the fallback is used.
  client.on('error', markDown);
  client.on('ready', () => {
    if (!down) return;
    down = false;
    log.info('rate limits: Redis is back; limits are kept in Redis again');
  });
  return {
    kind: 'redis',
    bucket: (name, points, duration) => {
      const keyPrefix = `${prefix}:${name}`;
      const limiter = new RateLimiterRedis({
        storeClient: client,
        keyPrefix,
        points,
        duration,
        insuranceLimiter: fallback.limiter(keyPrefix, points, duration, markDown),
        // Without this a command waits for a reconnect and the request hangs.
        rejectIfRedisNotReady: true,
      });
      return wrap(limiter, points);
    },
  };
}
